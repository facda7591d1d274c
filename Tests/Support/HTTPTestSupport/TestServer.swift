import Hummingbird
import Logging
import NIOCore
import BookshelfServiceKit

/// A request context that remembers the client's port, so a test can tell whether connections were reused.
public struct PeerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let peerPort: Int?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerPort = source.channel.remoteAddress?.port
    }
}

/// Runs a real Hummingbird server on an ephemeral loopback port for the duration of `body`.
public func withTestServer<R: Sendable>(
    _ router: Router<PeerContext>,
    _ body: @Sendable (Int) async throws -> R
) async throws -> R {
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    var logger = Logger(label: "test-server")
    // Stopping by cancellation makes Hummingbird log an error that says nothing about the test.
    logger.logLevel = .critical
    let app = Application(
        router: router,
        // Clients under test may still connect while the server stops; see `AcceptedConnection`.
        server: .serviceHTTP1(),
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
            portContinuation.finish()
        },
        logger: logger
    )
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port != 0 else {
            group.cancelAll()
            throw TestServerError.didNotStart
        }
        do {
            let result = try await body(port)
            group.cancelAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

public enum TestServerError: Error {
    case didNotStart
}
