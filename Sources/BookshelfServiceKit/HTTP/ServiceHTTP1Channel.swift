import HummingbirdCore
import Logging
import NIOCore
import Synchronization

extension HTTPServerBuilder {
    /// Hummingbird's HTTP/1 server as every Bookshelf server (and test server) runs it: see
    /// `ServiceHTTP1Channel`.
    package static func serviceHTTP1(
        configuration: HTTP1Channel.Configuration = .init(), handlersOnEventLoop: Bool = false,
        frontHandlers: FrontHandlers? = nil
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            ServiceHTTP1Channel(
                inner: HTTP1Channel(responder: responder, configuration: configuration), onEventLoop: handlersOnEventLoop, front: frontHandlers
            )
        }
    }
}

/// Handlers a server puts in each connection's pipeline between Hummingbird's connection state handler and
/// its request handling, so they see every request part and every response part as Hummingbird does and
/// may answer some requests themselves (the gateway's forwarding path). Made once per connection.
package typealias FrontHandlers = @Sendable () -> [any ChannelHandler]

extension HTTPServerBuilder {
}

/// Hummingbird's HTTP/1 channel with two changes.
///
/// With `onEventLoop`, each connection's requests are handled on that connection's event loop. By default a
/// connection's task runs on Swift's global pool, so every request crosses threads twice (the event loop
/// reads it, a pool thread handles it, the event loop writes the answer), each crossing a wakeup. A proxy
/// whose handler only awaits I/O gains from staying on the loop that owns the socket. Handlers must not
/// block then, which every handler here already promises.
///
/// And a connection accepted while the server is stopping is closed instead of stopping the process: see
/// `AcceptedConnection`.
///
/// With `front`, those handlers join the pipeline right after `HTTPConnectionStateHandler`, which then counts
/// the requests they answer too (idle timeout, closing after the last answer on shutdown).
struct ServiceHTTP1Channel: ServerChildChannel {
    let inner: HTTP1Channel
    let onEventLoop: Bool
    let front: FrontHandlers?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<AcceptedConnection> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { connection in
            if let front {
                let pipeline = channel.pipeline.syncOperations
                let state = try pipeline.handler(type: HTTPConnectionStateHandler.self)
                try pipeline.addHandlers(front(), position: .after(state))
            }
            return AcceptedConnection(connection)
        }
    }

    func handle(value: AcceptedConnection, logger: Logger) async {
        let connection = value.take()
        guard onEventLoop else { return await inner.handle(value: connection, logger: logger) }
        await withTaskExecutorPreference(EventLoopTaskExecutor(connection.channel.eventLoop)) {
            await inner.handle(value: connection, logger: logger)
        }
    }
}

/// A connection between its accept and the server taking it. A server that is stopping drops what it
/// accepts meanwhile, and NIO traps ("Deinited NIOAsyncWriter without calling finish()") when the writer of
/// such a connection is freed unfinished, which can end a process that was only shutting down. A connection
/// nobody took closes itself properly instead.
final class AcceptedConnection: ServerChildChannelValue {
    private let connection: HTTP1Channel.Value
    private let taken = Atomic<Bool>(false)

    init(_ connection: HTTP1Channel.Value) {
        self.connection = connection
    }

    var channel: any Channel { connection.channel }

    func take() -> HTTP1Channel.Value {
        taken.store(true, ordering: .releasing)
        return connection
    }

    deinit {
        guard !taken.load(ordering: .acquiring) else { return }
        let connection = self.connection
        Task { try? await connection.executeThenClose { _, _ in } }
    }
}

/// Runs a task's jobs on one NIO event loop.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
