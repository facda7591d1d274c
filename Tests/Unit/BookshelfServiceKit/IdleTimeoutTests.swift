import Glibc
import HummingbirdTesting
import Logging
import BookshelfServiceKit
import Testing

@Suite struct IdleTimeoutTests {
    /// A client that connects and then says nothing is disconnected once the idle timeout passes, instead
    /// of holding the connection for ever.
    @Test func aSilentConnectionIsClosed() async throws {
        let configuration = ServiceConfiguration(
            name: "test", id: "test", tags: [], host: "127.0.0.1", port: 0, advertiseAddress: "127.0.0.1",
            broker: "", consul: nil, contracts: "contracts", logFormat: .text, logLevel: .critical,
            idleTimeout: .milliseconds(300)
        )
        let routes = ServiceRoutes(metrics: ServiceMetrics(namespace: "bookshelf"), readiness: Readiness(), problemNamespace: "urn:bookshelf:problem:")
        let app = ServiceHost.application(configuration: configuration, routes: routes, logger: Logger(label: "test"))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // A receive timeout well beyond the idle timeout: the read must end with the server's close (0
            // bytes), not with this timeout (-1).
            let socket = try LoopbackSocket(port: port, receiveTimeout: 10)
            let clock = ContinuousClock()
            let started = clock.now
            var byte: UInt8 = 0
            let received = recv(socket.descriptor, &byte, 1, 0)
            #expect(received == 0)
            #expect(clock.now - started >= .milliseconds(250))
        }
    }
}
