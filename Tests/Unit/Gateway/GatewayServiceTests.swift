import HTTPTestSupport
import BookshelfDiscovery
import Foundation
import BookshelfHTTPClient
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import BookshelfServiceKit
import Synchronization
import Testing

@testable import Gateway

/// What an upstream received.
struct Received: Sendable {
    var method: String
    var path: String
    var query: String
    var headers: [String: String]
    var body: String
}

final class Upstream: Sendable {
    private let received = Mutex<[Received]>([])
    let delay: Duration

    init(delay: Duration = .zero) {
        self.delay = delay
    }

    var requests: [Received] { received.withLock { $0 } }

    /// Stands in for every service: records the request, answers like the real one would.
    func router() -> Router<PeerContext> {
        let router = Router(context: PeerContext.self)
        router.get("/bookshelf/books") { request, _ in
            try await self.record(request)
            return Response(
                status: .ok,
                headers: [.contentType: "application/json", HTTPField.Name("X-Bookshelf-Position")!: "0:7"],
                body: .init(byteBuffer: ByteBuffer(string: #"[{"id":"\#(someBookID)","title":"Dune","author":"Frank Herbert","published":1965}]"#))
            )
        }
        router.post("/bookshelf/books") { request, _ in
            try await self.record(request)
            return Response(
                status: .created,
                headers: [.contentType: "application/json", .location: "/bookshelf/books/\(someBookID)"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"id":"\#(someBookID)","title":"Dune","author":"Frank Herbert","published":1965}"#))
            )
        }
        router.post("/bookshelf/books/:id/finished") { request, context in
            try await self.record(request)
            guard context.parameters.get("id") == someBookID else {
                return Response(
                    status: .notFound, headers: [.contentType: "application/problem+json"],
                    body: .init(byteBuffer: ByteBuffer(string: #"{"type":"urn:bookshelf:problem:not-found","title":"Not Found","status":404}"#))
                )
            }
            return Response(status: .noContent)
        }
        return router
    }

    private func record(_ request: Request) async throws {
        if delay > .zero { try await Task.sleep(for: delay) }
        let body = try await request.body.collect(upTo: 1 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let entry = Received(
            method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "",
            headers: headers, body: String(buffer: body)
        )
        received.withLock { $0.append(entry) }
    }
}

@Suite struct GatewayServiceTests {
    /// A gateway in front of `upstreams` (service name to base URLs), assembled as the gateway command does.
    static func gateway(
        _ upstreams: [String: [String]], token: String? = nil, client: HTTPClient, metrics: ServiceMetrics = ServiceMetrics(namespace: "bookshelf"),
        handlersOnEventLoop: Bool = false, configuration: ApplicationConfiguration = .init()
    ) -> some ApplicationProtocol {
        let discovery = StaticDiscovery(upstreams: upstreams.mapValues { $0.map { ServiceInstance(id: $0, baseURL: $0) } })
        let gateway = GatewayService(
            contracts: sharedContracts, validator: sharedSchemas,
            forwarder: UpstreamForwarder(client: client, discovery: discovery), apiToken: token
        )
        let routes = ServiceRoutes(metrics: metrics, readiness: Readiness(), problemNamespace: "urn:bookshelf:problem:")
        gateway.addRoutes(to: routes)
        var logger = Logger(label: "gateway-test")
        logger.logLevel = .critical
        // As the gateway command runs it: operations answered by the forwarding handler, the rest by Hummingbird.
        return Application(
            router: routes,
            server: .serviceHTTP1(
                handlersOnEventLoop: handlersOnEventLoop,
                frontHandlers: gateway.frontHandlers(metrics: metrics, serverName: "gateway", logger: logger)
            ),
            configuration: configuration,
            logger: logger
        )
    }

    static let validBook = ByteBuffer(string: #"{"title":"Dune","author":"Frank Herbert","published":1965}"#)

    static func json(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: buffer))) as? [String: Any] ?? [:]
    }

    @Test func readsAreForwardedWithEndToEndHeadersAndAnsweredAsTheServiceAnswered() async throws {
        let upstream = Upstream()
        let client = HTTPClient()
        try await withTestServer(upstream.router()) { port in
            let app = Self.gateway(["booklist": ["http://127.0.0.1:\(port)"]], client: client)
            try await app.test(.live) { gateway in
                try await gateway.execute(uri: "/bookshelf/books?limit=2", method: .get, headers: [
                    .requestID: "rid-from-client",
                    HTTPField.Name("traceparent")!: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                    HTTPField.Name("X-Bookshelf-Min-Position")!: "0:7",
                ]) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[HTTPField.Name("X-Bookshelf-Position")!] == "0:7")
                    #expect(response.headers[.requestID] == "rid-from-client")
                    #expect(String(buffer: response.body).contains("Frank Herbert"))
                }
            }
        }
        let received = try #require(upstream.requests.first)
        #expect(received.path == "/bookshelf/books")
        #expect(received.query == "limit=2")
        #expect(received.headers["x-request-id"] == "rid-from-client")
        #expect(received.headers["traceparent"] == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        #expect(received.headers["x-bookshelf-min-position"] == "0:7")
        await client.shutdown()
    }

    @Test func overARealSocketWithHandlersOnTheEventLoopReadsAndWritesAreForwarded() async throws {
        let upstream = Upstream()
        let client = HTTPClient()
        try await withTestServer(upstream.router()) { port in
            let discovery = StaticDiscovery(upstreams: ["booklist", "newbook"].reduce(into: [:]) {
                $0[$1] = [ServiceInstance(id: "one", baseURL: "http://127.0.0.1:\(port)")]
            })
            let gateway = GatewayService(
                contracts: sharedContracts, validator: sharedSchemas,
                forwarder: UpstreamForwarder(client: client, discovery: discovery), apiToken: nil
            )
            let metrics = ServiceMetrics(namespace: "bookshelf")
            let routes = ServiceRoutes(metrics: metrics, readiness: Readiness(), problemNamespace: "urn:bookshelf:problem:")
            gateway.addRoutes(to: routes)
            let configuration = ServiceConfiguration(
                name: "gateway", id: "gateway-test", tags: [], host: "127.0.0.1", port: 0, advertiseAddress: "127.0.0.1",
                broker: "", consul: nil, contracts: "contracts", logFormat: .text, logLevel: .critical
            )
            let app = ServiceHost.application(
                configuration: configuration, routes: routes, logger: Logger(label: "test"), handlersOnEventLoop: true,
                frontHandlers: gateway.frontHandlers(metrics: metrics, serverName: "gateway", logger: Logger(label: "test"))
            )
            try await app.test(.live) { gateway in
                // Concurrent requests on separate connections, each handled on its own connection's event loop.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<16 {
                        group.addTask {
                            try await gateway.execute(uri: "/bookshelf/books", method: .get) { response in
                                #expect(response.status == .ok)
                                #expect(String(buffer: response.body).contains("Frank Herbert"))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                try await gateway.execute(uri: "/bookshelf/books", method: .post, headers: [.contentType: "application/json"], body: Self.validBook) { response in
                    #expect(response.status == .created)
                    #expect(response.headers[.requestID] != nil)
                }
                try await gateway.execute(uri: "/bookshelf/nothing", method: .get) { response in
                    #expect(response.status == .notFound)
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
            }
        }
        #expect(upstream.requests.filter { $0.method == "GET" }.count == 16)
        #expect(upstream.requests.filter { $0.method == "POST" }.map(\.body) == [String(buffer: Self.validBook)])
        await client.shutdown()
    }

    @Test func headIsAnsweredWithTheHeadOfTheServicesGet() async throws {
        let upstream = Upstream()
        let client = HTTPClient()
        try await withTestServer(upstream.router()) { port in
            let app = Self.gateway(["booklist": ["http://127.0.0.1:\(port)"]], client: client)
            try await app.test(.live) { gateway in
                try await gateway.execute(uri: "/bookshelf/books", method: .head) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[HTTPField.Name("X-Bookshelf-Position")!] == "0:7")
                    #expect(response.body.readableBytes == 0)
                }
            }
        }
        #expect(upstream.requests.map(\.method) == ["GET"])
        await client.shutdown()
    }

    @Test func writesCarryTheirBodyAndIdempotencyKey() async throws {
        let upstream = Upstream()
        let client = HTTPClient()
        try await withTestServer(upstream.router()) { port in
            let app = Self.gateway(["newbook": ["http://127.0.0.1:\(port)"], "readbook": ["http://127.0.0.1:\(port)"]], client: client)
            try await app.test(.live) { gateway in
                try await gateway.execute(uri: "/bookshelf/books", method: .post, headers: [
                    .contentType: "application/json", HTTPField.Name("Idempotency-Key")!: "key-1",
                ], body: Self.validBook) { response in
                    #expect(response.status == .created)
                    #expect(response.headers[.location] == "/bookshelf/books/\(someBookID)")
                }
                try await gateway.execute(uri: "/bookshelf/books/\(someBookID)/finished", method: .post) { response in
                    #expect(response.status == .noContent)
                }
                // The service's own problem reaches the client as it was.
                try await gateway.execute(uri: "/bookshelf/books/00000000-0000-4000-8000-000000000000/finished", method: .post) { response in
                    #expect(response.status == .notFound)
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
            }
        }
        let post = try #require(upstream.requests.first)
        #expect(post.body == String(buffer: Self.validBook))
        #expect(post.headers["idempotency-key"] == "key-1")
        #expect(post.headers["content-type"] == "application/json")
        #expect(upstream.requests.count == 3)
        await client.shutdown()
    }

    @Test func requestsBreakingTheContractNeverReachAService() async throws {
        let upstream = Upstream()
        let client = HTTPClient()
        try await withTestServer(upstream.router()) { port in
            let url = "http://127.0.0.1:\(port)"
            let app = Self.gateway(["newbook": [url], "readbook": [url], "booklist": [url]], client: client)
            try await app.test(.live) { gateway in
                try await gateway.execute(uri: "/bookshelf/books/not-a-uuid/finished", method: .post) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.headers[.contentType] == "application/problem+json")
                    let errors = Self.json(response.body)["errors"] as? [[String: String]]
                    #expect(errors?.first?["instanceLocation"] == "/path/id")
                }
                try await gateway.execute(uri: "/bookshelf/books", method: .post, headers: [.contentType: "application/json"],
                                          body: ByteBuffer(string: #"{"title":"Dune"}"#)) { response in
                    #expect(response.status == .badRequest)
                    #expect(Self.json(response.body)["code"] as? String == "invalid-body")
                    #expect((Self.json(response.body)["errors"] as? [Any])?.isEmpty == false)
                }
                try await gateway.execute(uri: "/bookshelf/books", method: .post, headers: [.contentType: "text/plain"],
                                          body: ByteBuffer(string: "Dune")) { response in
                    #expect(response.status == .unsupportedMediaType)
                }
                let large = ByteBuffer(string: #"{"title":""# + String(repeating: "x", count: 70_000) + #""}"#)
                try await gateway.execute(uri: "/bookshelf/books", method: .post, headers: [.contentType: "application/json"], body: large) { response in
                    #expect(response.status == .contentTooLarge)
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
            }
        }
        #expect(upstream.requests.isEmpty)
        await client.shutdown()
    }

    @Test func absoluteFormTargetsGoUpstreamInOriginForm() {
        #expect(GatewayService.originForm("http://127.0.0.1:8000/bookshelf/books?limit=2") == "/bookshelf/books?limit=2")
        #expect(GatewayService.originForm("http://gateway/bookshelf/books/last/read") == "/bookshelf/books/last/read")
        #expect(GatewayService.originForm("/bookshelf/books?limit=2") == "/bookshelf/books?limit=2")
    }

    @Test func unknownRoutesAre404AndWrongMethods405WithAllow() async throws {
        let client = HTTPClient()
        let app = Self.gateway([:], client: client)
        try await app.test(.live) { gateway in
            try await gateway.execute(uri: "/bookshelf/shelves", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            try await gateway.execute(uri: "/elsewhere", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            for method in [HTTPRequest.Method.delete, .trace, HTTPRequest.Method("QUERY")!, HTTPRequest.Method("PROPFIND")!] {
                try await gateway.execute(uri: "/bookshelf/books", method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method)")
                    #expect(response.headers[.allow] == "GET, HEAD, POST, OPTIONS")
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
            }
            try await gateway.execute(uri: "/bookshelf/books/last/read", method: .options) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.allow] == "GET, HEAD, OPTIONS")
            }
            try await gateway.execute(uri: "/apidocs/openapi.json", method: .trace) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, HEAD, OPTIONS")
            }
        }
        await client.shutdown()
    }

    @Test func readsTryAnotherInstanceWhenTheFirstRefusesButWritesDoNot() async throws {
        let upstream = Upstream()
        let client = HTTPClient()
        let dead = "http://127.0.0.1:\(try closedPort())"
        try await withTestServer(upstream.router()) { port in
            let live = "http://127.0.0.1:\(port)"
            let app = Self.gateway(["booklist": [dead, live], "newbook": [dead, live]], client: client)
            try await app.test(.live) { gateway in
                try await gateway.execute(uri: "/bookshelf/books", method: .get) { response in
                    #expect(response.status == .ok)
                }
                try await gateway.execute(uri: "/bookshelf/books", method: .post, headers: [.contentType: "application/json"],
                                          body: Self.validBook) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.headers[.retryAfter] == "1")
                    #expect(Self.json(response.body)["code"] as? String == "upstream-unreachable")
                }
            }
        }
        #expect(upstream.requests.map(\.method) == ["GET"])
        await client.shutdown()
    }

    @Test func aServiceWithNoInstanceIs503() async throws {
        let client = HTTPClient()
        let app = Self.gateway([:], client: client)
        try await app.test(.live) { gateway in
            try await gateway.execute(uri: "/bookshelf/books/last/read", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] != nil)
                #expect(Self.json(response.body)["code"] as? String == "no-upstream")
            }
        }
        await client.shutdown()
    }

    @Test func aSlowServiceIs504() async throws {
        let upstream = Upstream(delay: .seconds(5))
        let client = HTTPClient(configuration: .init(timeout: .milliseconds(300)))
        try await withTestServer(upstream.router()) { port in
            let app = Self.gateway(["booklist": ["http://127.0.0.1:\(port)"], "newbook": ["http://127.0.0.1:\(port)"]], client: client)
            try await app.test(.live) { gateway in
                try await gateway.execute(uri: "/bookshelf/books", method: .get) { response in
                    #expect(response.status == .gatewayTimeout)
                    #expect(response.headers[.retryAfter] == "1")
                }
                // Without an Idempotency-Key a timed-out write may have happened: no invitation to retry.
                try await gateway.execute(uri: "/bookshelf/books", method: .post, headers: [.contentType: "application/json"],
                                          body: Self.validBook) { response in
                    #expect(response.status == .gatewayTimeout)
                    #expect(response.headers[.retryAfter] == nil)
                }
            }
        }
        await client.shutdown()
    }

    @Test func withATokenWritesNeedItAndReadsStayOpen() async throws {
        let upstream = Upstream()
        let client = HTTPClient()
        try await withTestServer(upstream.router()) { port in
            let url = "http://127.0.0.1:\(port)"
            let app = Self.gateway(["newbook": [url], "booklist": [url]], token: "s3cret", client: client)
            try await app.test(.live) { gateway in
                try await gateway.execute(uri: "/bookshelf/books", method: .post, headers: [.contentType: "application/json"],
                                          body: Self.validBook) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
                try await gateway.execute(uri: "/bookshelf/books", method: .post, headers: [
                    .contentType: "application/json", .authorization: "Bearer wrong",
                ], body: Self.validBook) { response in
                    #expect(response.status == .unauthorized)
                }
                try await gateway.execute(uri: "/bookshelf/books", method: .post, headers: [
                    .contentType: "application/json", .authorization: "Bearer s3cret",
                ], body: Self.validBook) { response in
                    #expect(response.status == .created)
                }
                try await gateway.execute(uri: "/bookshelf/books", method: .get) { response in
                    #expect(response.status == .ok)
                }
            }
        }
        // The token stops at the gateway.
        #expect(upstream.requests.allSatisfy { $0.headers["authorization"] == nil })
        #expect(upstream.requests.count == 2)
        await client.shutdown()
    }

    @Test func apiDocsServeTheContractAsWritten() async throws {
        let client = HTTPClient()
        let app = Self.gateway([:], client: client)
        let file = try Data(contentsOf: URL(fileURLWithPath: contractsDirectory + "/openapi.json"))
        try await app.test(.live) { gateway in
            try await gateway.execute(uri: "/apidocs/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Data(buffer: response.body) == file)
            }
            // Swagger UI's own files: SwaggerUIAssetsTests.
            try await gateway.execute(uri: "/apidocs/index.html", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(String(buffer: response.body).contains("\"/apidocs/openapi.json\""))
            }
            try await gateway.execute(uri: "/apidocs/rest/book/book.schema.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"$id\""))
            }
            try await gateway.execute(uri: "/apidocs/rest/%2E%2E/openapi.json", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
        await client.shutdown()
    }
}
