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
        let routes = ServiceRoutes(metrics: ServiceMetrics(), readiness: Readiness(), problemNamespace: "urn:bookshelf:problem:")
        let app = ServiceHost.application(configuration: configuration, routes: routes, logger: Logger(label: "test"))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            #expect(socket >= 0)
            defer { close(socket) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            #expect(connected == 0)
            // A receive timeout well beyond the idle timeout: the read must end with the server's close (0
            // bytes), not with this timeout (-1).
            var limit = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            let clock = ContinuousClock()
            let started = clock.now
            var byte: UInt8 = 0
            let received = recv(socket, &byte, 1, 0)
            #expect(received == 0)
            #expect(clock.now - started >= .milliseconds(250))
        }
    }
}
