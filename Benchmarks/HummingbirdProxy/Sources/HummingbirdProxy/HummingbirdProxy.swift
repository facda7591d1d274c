import ArgumentParser
import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Bookshelf's public routes proxied to the services as a Swift team would write it with the ecosystem's parts:
/// Hummingbird's router in front, one shared AsyncHTTPClient with a keep-alive pool to each service behind,
/// bodies streamed both ways. `make bench-gateway` runs it beside nginx and Bookshelf's own gateway, which
/// also checks every request against the contracts; this peer only forwards.
@main
struct HummingbirdProxy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hummingbird-proxy",
        abstract: "Proxy Bookshelf's REST routes to its services with Hummingbird and AsyncHTTPClient (a benchmark peer)."
    )

    @Option(help: "Port to listen on, on 127.0.0.1.")
    var port: Int = 8000

    @Option(name: .customLong("upstream"), help: ArgumentHelp(
        "A service, NAME=URL, named as the gateway names them (booklist, newbook, readbook, lastreadbooks); repeatable.",
        valueName: "NAME=URL"))
    var upstreams: [String] = []

    @Option(help: "Keep-alive connections to each service (AsyncHTTPClient's default is 8; nginx's bench config keeps 64).")
    var connectionsPerService: Int = 64

    @Option(help: "Seconds a service may take to answer before the client gets 504.")
    var upstreamTimeout: Int64 = 10

    func run() async throws {
        var services: [String: String] = [:]
        for flag in upstreams {
            let parts = flag.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[1].hasPrefix("http://") else {
                throw ValidationError("--upstream \(flag): expected NAME=http://HOST:PORT")
            }
            services[String(parts[0])] = String(parts[1]).trimmingSuffix("/")
        }
        var logger = Logger(label: "hummingbird-proxy")
        logger.logLevel = .warning

        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerService)
        clientConfiguration.decompression = .disabled
        // On NIO's shared event loops, which Hummingbird's server also runs on.
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: clientConfiguration)

        let proxy = Proxy(client: client, services: services, timeout: .seconds(upstreamTimeout))
        let router = Router()
        router.get("/bookshelf/books") { request, _ in try await proxy.forward(request, to: "booklist") }
        router.post("/bookshelf/books") { request, _ in try await proxy.forward(request, to: "newbook") }
        router.get("/bookshelf/books/last/read") { request, _ in try await proxy.forward(request, to: "lastreadbooks") }
        router.get("/bookshelf/books/:id") { request, _ in try await proxy.forward(request, to: "booklist") }
        router.post("/bookshelf/books/:id/finished") { request, _ in try await proxy.forward(request, to: "readbook") }

        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "hummingbird-proxy"),
            logger: logger)
        do {
            try await app.runService()
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }
}

/// Forwards a request to a service and its answer back: status, end-to-end headers (Content-Type,
/// X-Bookshelf-Position, Location, Idempotency-Key …) and body, with hop-by-hop headers dropped both ways.
struct Proxy: Sendable {
    let client: HTTPClient
    let services: [String: String]
    let timeout: TimeAmount

    /// RFC 9110 §7.6.1, and the headers each hop sets for itself.
    static let dropped: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade", "host", "content-length", "date", "server",
    ]

    func forward(_ request: Request, to service: String) async throws -> Response {
        guard let base = services[service] else {
            throw HTTPError(.badGateway, message: "no upstream named \(service)")
        }
        var outbound = HTTPClientRequest(url: base + request.uri.description)
        outbound.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in request.headers where !Self.dropped.contains(field.name.canonicalName) {
            outbound.headers.add(name: field.name.rawName, value: field.value)
        }
        if request.method == .post || request.method == .put {
            let length = request.headers[.contentLength].flatMap { Int64($0) }
            outbound.body = .stream(request.body, length: length.map { .known($0) } ?? .unknown)
        }

        let answer: HTTPClientResponse
        do {
            answer = try await client.execute(outbound, timeout: timeout)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw HTTPError(.gatewayTimeout, message: "\(service) did not answer in time")
        } catch {
            throw HTTPError(.badGateway, message: "\(service) could not be reached: \(error)")
        }

        var headers = HTTPFields()
        for header in answer.headers where !Self.dropped.contains(header.name.lowercased()) {
            if let name = HTTPField.Name(header.name) { headers.append(HTTPField(name: name, value: header.value)) }
        }
        let length = answer.headers.first(name: "content-length").flatMap { Int($0) }
        let body = answer.body
        return Response(
            status: HTTPResponse.Status(code: Int(answer.status.code)),
            headers: headers,
            body: ResponseBody(contentLength: length) { writer in
                try await writer.write(body)
                try await writer.finish(nil)
            })
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: Character) -> String {
        var text = self
        while text.last == suffix { text.removeLast() }
        return text
    }
}
