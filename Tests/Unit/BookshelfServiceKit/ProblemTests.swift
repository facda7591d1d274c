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
        let routes = ServiceRoutes(metrics: ServiceMetrics(namespace: "bookshelf"), readiness: readiness, problemNamespace: Self.reviews)
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
        let routes = ServiceRoutes(metrics: ServiceMetrics(namespace: "bookshelf"), readiness: Readiness(), problemNamespace: Self.reviews)
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
        let socket = try LoopbackSocket(port: port)
        try socket.send(text)
        return socket.receiveUntilClosed()
    }
}
