import Dispatch
import Glibc

/// The one way into a running supervisor from another thread or a signal: each request is a byte on a
/// pipe the supervisor polls, so the supervisor never shares mutable state with its callers.
package struct StopHandle: Sendable {
    fileprivate let pipe: WakePipe

    /// Asks the supervisor to stop every child (gateway first, broker last); asking a second time while
    /// it is stopping kills the children that are still running.
    package func requestStop(signal: Int32 = SIGTERM) {
        var byte = UInt8(truncatingIfNeeded: signal)
        _ = write(pipe.writeEnd, &byte, 1)
    }

    /// Turns SIGINT and SIGTERM to this process into stop requests for as long as the returned value is
    /// kept. Dispatch delivers them on its own queue; the signals themselves are ignored so that they
    /// no longer end the process before its children are stopped.
    package func forwardTerminationSignals() -> SignalForwarding {
        signal(SIGPIPE, SIG_IGN)
        let queue = DispatchQueue(label: "bookshelf.up.signals")
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { self.requestStop(signal: number) }
            source.resume()
            return source
        }
        return SignalForwarding(sources: sources)
    }
}

/// Keeps the signal sources alive; dropping it stops the forwarding.
package final class SignalForwarding {
    private let sources: [any DispatchSourceSignal]

    fileprivate init(sources: [any DispatchSourceSignal]) {
        self.sources = sources
    }

    deinit {
        sources.forEach { $0.cancel() }
    }
}

/// A non-blocking pipe, open for as long as a handle to it exists, so a late signal never writes into a
/// descriptor number that was closed and reused.
final class WakePipe: Sendable {
    let readEnd: Int32
    let writeEnd: Int32

    init() throws(StackError) {
        var fds: [Int32] = [-1, -1]
        guard makeCloseOnExecPipe(&fds) == 0 else {
            throw StackError(
                .system, message: "cannot create the supervisor's wake-up pipe: \(String(cString: strerror(errno)))",
                isRetryable: false
            )
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    var handle: StopHandle { StopHandle(pipe: self) }

    /// The signal numbers written since the last drain.
    func drain() -> [Int32] {
        var buffer = [UInt8](repeating: 0, count: 64)
        var signals: [Int32] = []
        while true {
            let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            guard count > 0 else { return signals }
            signals += buffer[..<count].map(Int32.init)
        }
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }
}
