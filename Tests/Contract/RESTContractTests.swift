import BookRead
import BookshelfJSON
import BookshelfDiscovery
import BookshelfTesting
import Foundation
import Gateway
import BookshelfHTTPClient
import Hummingbird
import HummingbirdTesting
import LastRead
import ListBooks
import Logging
import NewBook
import BookshelfDomain
import BookshelfServiceKit
import Testing

/// openapi.json, checked on the provider: the gateway in-process in front of the real services (each a
/// live server over one in-memory events log), or in front of upstreams that fail in the ways the
/// documented error statuses describe. Every answer must be a documented status of its operation with a
/// body valid against that status's schema, and every error problem+json.
enum RESTPhase {
    static let report = Task { await run() }
    static let file = "contracts/openapi.json"
    static let token = "contract-suite-token"

    struct Operation: Sendable {
        var id: String
        var method: String
        var path: String
        var responses: JSONValue
        var pointer: String { "/paths/" + path.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1") + "/" + method.lowercased() }
    }

    static func operations(in openAPI: JSONValue) -> [Operation] {
        var result: [Operation] = []
        for (path, item) in openAPI["paths"]?.memberList ?? [] {
            for (method, operation) in item.memberList where method != "parameters" {
                result.append(Operation(id: operation["operationId"]?.string ?? "\(method) \(path)", method: method.uppercased(), path: path, responses: operation["responses"] ?? .null))
            }
        }
        return result.sorted { $0.id < $1.id }
    }

    static func run() async -> Report {
        var report = Report()
        do {
            try await drive(into: &report)
        } catch {
            report.findings.append(Finding(contract: file, pointer: "/paths", instance: "", message: "the gateway could not be driven: \(error)"))
        }
        return report
    }

    struct Call: Sendable {
        var operation: String
        var uri: String
        var method: HTTPRequest.Method
        var headers: HTTPFields = [:]
        var body: [UInt8] = []
        var why: String
    }

    /// A gateway as the gateway command runs it: Hummingbird's routes and the forwarding handler in front.
    struct Gateway: Sendable {
        var responder: RouterResponder<ServiceRequestContext>
        var frontHandlers: FrontHandlers
    }

    /// A gateway in this process, routing by the given upstream flags (`name=url`).
    static func gateway(_ upstreams: [String], token: String?, timeout: Duration) throws -> (Gateway, HTTPClient) {
        let folder = ContractSet.shared.folder
        var logger = Logger(label: "contract-gateway")
        logger.logLevel = .critical
        let contracts = try GatewayContracts(directory: folder)
        let client = HTTPClient(configuration: .init(connectTimeout: .seconds(1), timeout: timeout), logger: logger)
        let service = GatewayService(
            contracts: contracts, validator: try ContractSchemas(directory: folder, routes: contracts.routes),
            forwarder: UpstreamForwarder(client: client, discovery: try StaticDiscovery(flags: upstreams, environmentVariable: "BOOKSHELF_UPSTREAMS", environment: [:])), apiToken: token
        )
        let metrics = ServiceMetrics(namespace: "bookshelf")
        let routes = ServiceRoutes(metrics: metrics, readiness: Readiness(), problemNamespace: "urn:bookshelf:problem:")
        service.addRoutes(to: routes)
        let front = service.frontHandlers(metrics: metrics, serverName: "gateway", logger: logger)
        return (Gateway(responder: routes.buildResponder(), frontHandlers: front), client)
    }

    static func upstreamFlags(_ url: (String) -> String) -> [String] {
        Set(RouteTable.upstreamServices.values).sorted().map { "\($0)=\(url($0))" }
    }

    static func send(_ calls: [Call], through gateway: Gateway, into report: inout Report) async throws -> [HTTPResponseBox] {
        var logger = Logger(label: "contract-gateway")
        logger.logLevel = .critical
        let app = Application(responder: gateway.responder, server: .serviceHTTP1(frontHandlers: gateway.frontHandlers), logger: logger)
        let answers = try await app.test(.live) { client in
            var answers: [HTTPResponseBox] = []
            for call in calls {
                let response = try await client.execute(uri: call.uri, method: call.method, headers: call.headers, body: ByteBuffer(bytes: call.body))
                answers.append(HTTPResponseBox(status: Int(response.status.code), headers: response.headers, body: Array(buffer: response.body)))
            }
            return answers
        }
        let operations = Dictionary(uniqueKeysWithValues: operations(in: ContractSet.shared.openAPI).map { ($0.id, $0) })
        for (call, answer) in zip(calls, answers) {
            if let operation = operations[call.operation] {
                verify(answer, of: operation, call: call, into: &report)
            } else {
                report.findings.append(Finding(contract: file, pointer: "/paths", instance: "", message: "no operation \(call.operation) in openapi.json"))
            }
        }
        return answers
    }

    struct HTTPResponseBox: Sendable {
        var status: Int
        var headers: HTTPFields
        var body: [UInt8]
    }

    /// The answer is a documented status of the operation, with the documented media type and a body valid
    /// against its schema; errors are problem+json.
    static func verify(_ response: HTTPResponseBox, of operation: Operation, call: Call, service: String = "gateway", into report: inout Report) {
        let contracts = ContractSet.shared
        let status = String(response.status)
        let at = "\(call.method.rawValue) \(call.uri) (\(call.why)) answered \(status)"
        guard var documented = operation.responses[status] else {
            report.check(service, [Finding(contract: file, pointer: operation.pointer + "/responses", instance: "", message: "\(at), a status \(operation.id) does not document")])
            return
        }
        report.cover("rest", operation.id, status)
        var pointer = operation.pointer + "/responses/" + status
        if let reference = documented["$ref"]?.string, reference.hasPrefix("#/") {
            pointer = String(reference.dropFirst())
            documented = reference.dropFirst(2).split(separator: "/").reduce(contracts.openAPI as JSONValue?) { $0?[String($1)] } ?? documented
        }
        let mediaType = response.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if response.status >= 400 {
            report.check(service, mediaType == "application/problem+json", Finding(contract: file, pointer: pointer + "/content", instance: "", message: "\(at) with content-type \(mediaType ?? "none"), not application/problem+json"))
        }
        guard let content = documented["content"], content.count > 0 else {
            report.check(service, response.body.isEmpty, Finding(contract: file, pointer: pointer, instance: "", message: "\(at) with a body, but the status documents none"))
            return
        }
        guard let mediaType, let schemaRef = content[mediaType]?["schema"]?["$ref"]?.string else {
            report.check(service, [Finding(contract: file, pointer: pointer + "/content", instance: "", message: "\(at) with content-type \(mediaType ?? "none"), which the status does not document")])
            return
        }
        guard let body = try? JSONValue(parsing: response.body) else {
            report.check(service, [Finding(contract: file, pointer: pointer + "/content/" + mediaType.replacingOccurrences(of: "/", with: "~1"), instance: "", message: "\(at) with a body that is not JSON")])
            return
        }
        report.check(service, contracts.violations(of: body, against: ContractSet.idPrefix + schemaRef, what: at))
    }

    private static func drive(into report: inout Report) async throws {
        let contracts = ContractSet.shared
        let log = InMemoryEventLog()
        let metrics = ServiceMetrics(namespace: "bookshelf")
        var logger = Logger(label: "contract-services")
        logger.logLevel = .critical
        func routes<P: Projection>(_ type: P.Type, _ name: String) -> (ServiceRoutes, ProjectionHost<P>) {
            let host = ProjectionHost<P>(consumer: name, source: log.makeSource(), deadLetters: log, contracts: repositoryContracts, readiness: Readiness(), metrics: metrics, positionHeaders: BookshelfEvents.positionHeaders, logger: logger)
            return (ServiceRoutes(metrics: metrics, readiness: Readiness(), problemNamespace: "urn:bookshelf:problem:"), host)
        }
        let (newBookRoutes, newBook) = routes(NewBookState.self, "new-book")
        NewBookService(state: newBook, publisher: log, contracts: repositoryContracts, metrics: metrics).addRoutes(to: newBookRoutes)
        let (bookReadRoutes, known) = routes(KnownBooks.self, "book-read")
        BookReadService(state: known, publisher: log, contracts: repositoryContracts, metrics: metrics).addRoutes(to: bookReadRoutes)
        let (listRoutes, list) = routes(BookList.self, "list-books")
        ListBooksService(view: list).addRoutes(to: listRoutes)
        let (lastRoutes, last) = routes(LastReadBooks.self, "last-read")
        LastReadService(view: last).addRoutes(to: lastRoutes)
        let hosts = [Task { try await newBook.run() }, Task { try await known.run() }, Task { try await list.run() }, Task { try await last.run() }]
        defer {
            log.close()
            hosts.forEach { $0.cancel() }
        }

        let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        let requests = contracts.examples("rest/new-book-request/v2", valid: true)
        let served = try await withServers([newBookRoutes, bookReadRoutes, listRoutes, lastRoutes]) { bound in
            let ports = ["newbook": bound[0], "readbook": bound[1], "booklist": bound[2], "lastreadbooks": bound[3]]
            let (gateway, client) = try gateway(upstreamFlags { "http://127.0.0.1:\(ports[$0]!)" }, token: token, timeout: .seconds(5))
            var local = Report()
            let added = try await send(requests.map {
                Call(operation: "addBook", uri: "/bookshelf/books", method: .post, headers: auth, body: $0.bytes, why: $0.file)
            }, through: gateway, into: &local)
            let ids = added.compactMap { try? JSONValue(parsing: $0.body)["id"]?.string }
            let position = added.last?.headers[.bookshelfPosition] ?? ""
            var calls = [
                Call(operation: "listBooks", uri: "/bookshelf/books", method: .get, headers: [.bookshelfMinPosition: position], why: "every book"),
                Call(operation: "listBooks", uri: "/bookshelf/books?limit=1", method: .get, headers: [.bookshelfMinPosition: position], why: "a page"),
            ]
            calls += ids.prefix(1).map { Call(operation: "getBook", uri: "/bookshelf/books/\($0)", method: .get, headers: [.bookshelfMinPosition: position], why: "a book just added") }
            calls += ids.map { Call(operation: "finishBook", uri: "/bookshelf/books/\($0)/finished", method: .post, headers: [.authorization: "Bearer \(token)", .bookshelfMinPosition: position], why: "a known book") }
            // The original API's finish carries the whole book, as the add answered it.
            calls += added.prefix(2).map { answer in
                Call(operation: "finishBook", uri: "/bookshelf/books/\((try? JSONValue(parsing: answer.body))?["id"]?.string ?? "")/finished", method: .post,
                     headers: [.authorization: "Bearer \(token)", .bookshelfMinPosition: position, .contentType: "application/json"], body: answer.body, why: "a known book, with the book as the body")
            }
            _ = try await send(calls, through: gateway, into: &local)
            calls = [Call(operation: "lastReadBooks", uri: "/bookshelf/books/last/read", method: .get, why: "the last read")]
            calls += contracts.examples("rest/new-book-request/v2", valid: false).map {
                Call(operation: "addBook", uri: "/bookshelf/books", method: .post, headers: auth, body: $0.bytes, why: $0.file)
            }
            calls += [
                Call(operation: "listBooks", uri: "/bookshelf/books?limit=0", method: .get, why: "limit out of range"),
                Call(operation: "listBooks", uri: "/bookshelf/books?after=00000000-0000-4000-8000-000000000000", method: .get, why: "after naming no book"),
                Call(operation: "getBook", uri: "/bookshelf/books/00000000-0000-4000-8000-000000000000", method: .get, why: "an unknown book"),
                Call(operation: "getBook", uri: "/bookshelf/books/NOT-AN-ID", method: .get, why: "an id that is not a UUID"),
                Call(operation: "finishBook", uri: "/bookshelf/books/not-a-uuid/finished", method: .post, headers: [.authorization: "Bearer \(token)"], why: "an id that is not a UUID"),
                Call(operation: "finishBook", uri: "/bookshelf/books/\(ids.first ?? "")/finished", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                     body: Array(#"{"id":"00000000-0000-4000-8000-000000000000"}"#.utf8), why: "a body naming another book"),
                Call(operation: "finishBook", uri: "/bookshelf/books/\(ids.first ?? "")/finished", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "text/plain"],
                     body: Array("finished".utf8), why: "a body that is not JSON"),
                Call(operation: "finishBook", uri: "/bookshelf/books/\(ids.first ?? "")/finished", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                     body: Array(#"{"title":""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: 70_000) + Array(#""}"#.utf8), why: "a body over the limit"),
                Call(operation: "lastReadBooks", uri: "/bookshelf/books/last/read", method: .get, headers: [.bookshelfMinPosition: "not a position"], why: "a malformed min position"),
                Call(operation: "addBook", uri: "/bookshelf/books", method: .post, headers: [.contentType: "application/json"], body: requests.first?.bytes ?? [], why: "no token"),
                Call(operation: "finishBook", uri: "/bookshelf/books/\(ids.first ?? "")/finished", method: .post, why: "no token"),
                Call(operation: "finishBook", uri: "/bookshelf/books/00000000-0000-4000-8000-000000000000/finished", method: .post, headers: [.authorization: "Bearer \(token)"], why: "an unknown book"),
                Call(operation: "addBook", uri: "/bookshelf/books", method: .post, headers: auth, body: Array(#"{"title":""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: 70_000) + Array(#"","author":"A","published":1}"#.utf8), why: "a body over the limit"),
                Call(operation: "addBook", uri: "/bookshelf/books", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "text/plain"], body: requests.first?.bytes ?? [], why: "not JSON"),
            ]
            // A body over the limit is refused whatever the operation, also one that takes none.
            let oversized = Array(repeating: UInt8(ascii: "a"), count: 70_000)
            calls += [
                Call(operation: "listBooks", uri: "/bookshelf/books", method: .get, body: oversized, why: "a body over the limit"),
                Call(operation: "getBook", uri: "/bookshelf/books/\(ids.first ?? "")", method: .get, body: oversized, why: "a body over the limit"),
                Call(operation: "lastReadBooks", uri: "/bookshelf/books/last/read", method: .get, body: oversized, why: "a body over the limit"),
                Call(operation: "finishBook", uri: "/bookshelf/books/\(ids.first ?? "")/finished", method: .post, headers: [.authorization: "Bearer \(token)"], body: oversized, why: "a body over the limit"),
            ]
            _ = try await send(calls, through: gateway, into: &local)
            // new-book is also called directly (`bookshelf new-book`, scaled-out setups): its own refusals
            // must follow the same contract as the gateway's, so the invalid bodies go to it straight too.
            let operations = Dictionary(uniqueKeysWithValues: operations(in: contracts.openAPI).map { ($0.id, $0) })
            for example in contracts.examples("rest/new-book-request/v2", valid: false) {
                let call = Call(operation: "addBook", uri: "/bookshelf/books", method: .post, body: example.bytes, why: example.file + ", straight to new-book")
                let answer = try await client.execute(.init(method: "POST", url: "http://127.0.0.1:\(ports["newbook"]!)/bookshelf/books",
                                                            headers: [.init("Content-Type", "application/json")], body: example.bytes))
                var headers: HTTPFields = [:]
                headers[.contentType] = answer.header("Content-Type")
                local.check("new-book", answer.status == 400, Finding(contract: file, pointer: "/paths", instance: "", message: "\(call.why) answered \(answer.status), not 400"))
                verify(HTTPResponseBox(status: answer.status, headers: headers, body: answer.body), of: operations["addBook"]!, call: call, service: "new-book", into: &local)
            }
            log.failPublishing(with: BrokerDown())
            _ = try await send([Call(operation: "addBook", uri: "/bookshelf/books", method: .post, headers: auth, body: requests.first?.bytes ?? [], why: "the broker is down")], through: gateway, into: &local)
            log.failPublishing(with: nil)
            await client.shutdown()
            return local
        }
        report.merge(served)

        // Upstreams that fail: none configured (503), not HTTP (502), too slow (504).
        let everyOperation = operations(in: contracts.openAPI).map { operation in
            let path = operation.path.replacingOccurrences(of: "{id}", with: "0b5e1c4d-7a2f-4e61-9c3b-5d8e2f1a7c90")
            let body = operation.method == "POST" && operation.id == "addBook" ? requests.first?.bytes ?? [] : []
            return Call(operation: operation.id, uri: path, method: HTTPRequest.Method(operation.method)!, headers: auth, body: body, why: "a failing upstream")
        }
        let (unrouted, unroutedClient) = try gateway([], token: token, timeout: .seconds(1))
        _ = try await send(everyOperation, through: unrouted, into: &report)
        await unroutedClient.shutdown()

        let garbage = try GarbageServer()
        defer { garbage.close() }
        let (broken, brokenClient) = try gateway(upstreamFlags { _ in "http://127.0.0.1:\(garbage.port)" }, token: token, timeout: .seconds(2))
        _ = try await send(everyOperation, through: broken, into: &report)
        await brokenClient.shutdown()

        let slow = Router()
        slow.on("/bookshelf/**", method: .get) { _, _ -> Response in try await Task.sleep(for: .seconds(3)); return Response(status: .ok) }
        slow.on("/bookshelf/**", method: .post) { _, _ -> Response in try await Task.sleep(for: .seconds(3)); return Response(status: .ok) }
        let timedOut = try await withServers([slow]) { ports in
            let port = ports[0]
            var timedOut = Report()
            let (gateway, client) = try gateway(upstreamFlags { _ in "http://127.0.0.1:\(port)" }, token: token, timeout: .milliseconds(300))
            _ = try await send(everyOperation, through: gateway, into: &timedOut)
            await client.shutdown()
            return timedOut
        }
        report.merge(timedOut)
    }

    struct BrokerDown: ServiceError {
        var code: String { "broker-unavailable" }
        var message: String { "The broker did not acknowledge the event." }
        var isRetryable: Bool { true }
    }
}

@Suite struct RESTContractTests {
    @Test("the gateway answers every route, and new-book its refusals, with documented statuses and bodies valid against openapi.json")
    func gatewayFollowsOpenAPI() async {
        let report = await RESTPhase.report.value
        for finding in report.findings { Issue.record(Comment(rawValue: finding.description)) }
        #expect(!report.covered.isEmpty)
    }
}
