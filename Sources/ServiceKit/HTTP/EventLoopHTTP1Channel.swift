import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1 channel with each connection's requests handled on that connection's event loop.
///
/// By default a connection's task runs on Swift's global pool, so every request crosses threads twice (the
/// event loop reads it, a pool thread handles it, the event loop writes the answer), each crossing a wakeup.
/// A proxy whose handler only awaits I/O gains from staying on the loop that owns the socket. Handlers must
/// not block then, which every handler here already promises.
struct EventLoopHTTP1Channel: ServerChildChannel {
    let inner: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        inner.setup(channel: channel, logger: logger)
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await inner.handle(value: value, logger: logger)
        }
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
