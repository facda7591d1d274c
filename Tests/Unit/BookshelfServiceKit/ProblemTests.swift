import Foundation
import Glibc
import Hummingbird
import HummingbirdTesting
import Logging
import BookshelfServiceKit
import Testing

/// A problem's `type` is the app's namespace followed by its code, wherever the problem is written: by a
/// route, by the router's middleware, and by the channel handler that answers bytes that are not HTTP.
@Suite struct ProblemTests {
    static let reviews = "urn:reviews:problem:"

    @Test func theTypeIsTheNamespaceThenTheCode() throws {
        let problem = Problem.badRequest(code: "malformed-id", "'x' is not a book id.")
        #expect(problem.type(in: Self.reviews) == "urn:reviews:problem:malformed-id")
        let body = try JSONSerialization.jsonObject(with: problem.body(instance: "/reviews/books/x", namespace: Self.reviews)) as? [String: Any]
        #expect(body?["type"] as? String == "urn:reviews:problem:malformed-id")
        #expect(body?["code"] as? String == "malformed-id")
        let bookshelf = try JSONSerialization.jsonObject(with: problem.body(instance: nil, namespace: "urn:bookshelf:problem:")) as? [String: Any]
        #expect(bookshelf?["type"] as? String == "urn:bookshelf:problem:malformed-id")
    }

    @Test func theRoutesAnswerInTheirApps() async throws {
        let readiness = Readiness()
        readiness.register("replay", waitingFor: "the topic's end")
        let routes = ServiceRoutes(metrics: ServiceMetrics(), readiness: readiness, problemNamespace: Self.reviews)
        routes.on("/reviews", method: .post) { _, _ in throw Problem.unavailable(code: "not-ready", "still replaying") }
        try await Application(router: routes).test(.router) { client in
            for (uri, method, type) in [
                ("/nowhere", HTTPRequest.Method.get, "urn:reviews:problem:not-found"),
                ("/reviews", .delete, "urn:reviews:problem:method-not-allowed"),
                ("/reviews", .post, "urn:reviews:problem:not-ready"),
                ("/health/ready", .get, "urn:reviews:problem:not-ready"),
            ] {
                let response = try await client.execute(uri: uri, method: method)
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(body?["type"] as? String == type, "\(method) \(uri)")
            }
        }
    }

    /// Bytes that are not HTTP never reach the router; the answer is still typed in the app's namespace.
    @Test func aMalformedRequestIsAnsweredInTheAppsNamespace() async throws {
        let configuration = ServiceConfiguration(
            name: "reviews", id: "reviews-test", tags: [], host: "127.0.0.1", port: 0, advertiseAddress: "127.0.0.1",
            broker: "", consul: nil, contracts: "contracts", logFormat: .text, logLevel: .critical
        )
        let routes = ServiceRoutes(metrics: ServiceMetrics(), readiness: Readiness(), problemNamespace: Self.reviews)
        var logger = Logger(label: "problem-test")
        logger.logLevel = .critical
        let app = ServiceHost.application(configuration: configuration, routes: routes, logger: logger)
        try await app.test(.live) { client in
            let answer = try Self.exchange(port: try #require(client.port), sending: "NOT HTTP AT ALL\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 400"))
            #expect(answer.contains(#""type":"urn:reviews:problem:malformed-http""#))
        }
    }

    /// Sends `text` on a new connection and reads until the server closes it.
    static func exchange(port: Int, sending text: String) throws -> String {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(socket >= 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        var limit = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(text.utf8)
        try #require(send(socket, bytes, bytes.count, 0) == bytes.count)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}
