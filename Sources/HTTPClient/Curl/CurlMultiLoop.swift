import CCurl
import Foundation
import Logging
import Synchronization

/// The thread that owns the multi handle. Every curl call on a transfer after it is submitted happens here.
///
/// Other threads talk to it only through `shared` (a queue of commands) and `curl_multi_wakeup`, the one
/// multi call libcurl allows from another thread. The multi handle is freed in `deinit`, when neither the
/// thread nor any caller holds this object any more, so a wakeup can never reach a freed handle.
final class CurlMultiLoop: @unchecked Sendable {
    fileprivate enum Command {
        case add(CurlTransfer)
        case cancel(CurlTransfer)
    }

    fileprivate struct Shared {
        var commands: [Command] = []
        /// A wakeup is on its way and the loop has not drained the queue since: further ones are redundant.
        var wakeupPending = false
        var stopRequested = false
        var stopped = false
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let multi: UnsafeMutableRawPointer
    private let shared = Mutex(Shared())
    private let logger: Logger
    /// Loop-thread state: transfers currently inside the multi handle.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    init(maxIdleConnections: Int, logger: Logger) {
        _ = curlGlobalInit
        guard let multi = curl_multi_init() else {
            fatalError("curl_multi_init failed: libcurl is out of memory")
        }
        self.multi = multi
        self.logger = logger
        _ = bs_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxIdleConnections)
        let thread = Thread { [self] in run() }
        thread.name = "bookshelf-curl"
        thread.start()
    }

    deinit {
        curl_multi_cleanup(multi)
    }

    func submit(_ transfer: CurlTransfer) {
        let (accepted, wake) = shared.withLock { state -> (Bool, Bool) in
            guard !state.stopped, !state.stopRequested else { return (false, false) }
            state.commands.append(.add(transfer))
            return (true, state.takeWakeup())
        }
        if wake { curl_multi_wakeup(multi) }
        if !accepted {
            transfer.finish(.failure(HTTPClientError(.shutdown, "the HTTP client has been shut down")))
        }
    }

    func cancel(_ transfer: CurlTransfer) {
        transfer.isCancelled.store(true, ordering: .sequentiallyConsistent)
        let wake = shared.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.commands.append(.cancel(transfer))
            return state.takeWakeup()
        }
        if wake { curl_multi_wakeup(multi) }
    }

    func requestStop() {
        let wake = shared.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.stopRequested = true
            return state.takeWakeup()
        }
        if wake { curl_multi_wakeup(multi) }
    }

    func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (alreadyStopped, wake) = shared.withLock { state -> (Bool, Bool) in
                if state.stopped { return (true, false) }
                state.stopWaiters.append(continuation)
                state.stopRequested = true
                return (false, state.takeWakeup())
            }
            if wake { curl_multi_wakeup(multi) }
            if alreadyStopped { continuation.resume() }
        }
    }

    private func run() {
        while true {
            let (commands, stopRequested) = shared.withLock { state in
                defer {
                    state.commands.removeAll(keepingCapacity: true)
                    state.wakeupPending = false
                }
                return (state.commands, state.stopRequested)
            }
            for command in commands { apply(command) }
            if stopRequested { break }

            var running: Int32 = 0
            let performed = curl_multi_perform(multi, &running)
            if performed != CURLM_OK {
                logger.error("curl_multi_perform failed", metadata: ["error": "\(String(cString: curl_multi_strerror(performed)))"])
            }
            collectFinished()
            // Returns early on socket activity, on libcurl's own timers, or on curl_multi_wakeup.
            _ = curl_multi_poll(multi, nil, 0, 1000, nil)
        }
        let (leftover, waiters) = shared.withLock { state in
            state.stopped = true
            defer {
                state.commands.removeAll()
                state.stopWaiters.removeAll()
            }
            return (state.commands, state.stopWaiters)
        }
        let shutdown = HTTPClientError(.shutdown, "the HTTP client was shut down before the response arrived")
        for (easy, transfer) in active {
            curl_multi_remove_handle(multi, easy)
            transfer.finish(.failure(shutdown))
        }
        active.removeAll()
        for case .add(let transfer) in leftover {
            transfer.finish(.failure(shutdown))
        }
        for waiter in waiters { waiter.resume() }
    }

    private func apply(_ command: Command) {
        switch command {
        case .add(let transfer):
            if transfer.isCancelled.load(ordering: .sequentiallyConsistent) {
                transfer.finish(.failure(HTTPClientError(.cancelled, "the request was cancelled")))
                return
            }
            let added = curl_multi_add_handle(multi, transfer.easy)
            guard added == CURLM_OK else {
                transfer.finish(.failure(HTTPClientError(.invalidRequest, "libcurl refused the transfer: \(String(cString: curl_multi_strerror(added)))")))
                return
            }
            active[transfer.easy] = transfer
        case .cancel(let transfer):
            // Absent when it already finished, or when it was never added (the add path saw the flag).
            guard active.removeValue(forKey: transfer.easy) != nil else { return }
            curl_multi_remove_handle(multi, transfer.easy)
            transfer.finish(.failure(HTTPClientError(.cancelled, "the request was cancelled")))
        }
    }

    private func collectFinished() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            guard let transfer = active.removeValue(forKey: easy) else { continue }
            curl_multi_remove_handle(multi, easy)
            transfer.finish(transfer.outcome(code))
        }
    }
}

extension CurlMultiLoop.Shared {
    /// Whether the caller must wake the loop: only the first command since the loop last drained the queue does.
    fileprivate mutating func takeWakeup() -> Bool {
        defer { wakeupPending = true }
        return !wakeupPending
    }
}

/// libcurl requires one global initialisation before any other thread uses it; a global `let` runs once.
private let curlGlobalInit: Void = {
    _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
}()

extension CurlTransfer {
    /// Resumes the waiting task exactly once; the loop thread never finishes a transfer twice because it
    /// finishes only transfers it has just taken out of `active` or never put there.
    func finish(_ result: Result<HTTPClient.Response, HTTPClientError>) {
        let continuation = self.continuation
        self.continuation = nil
        continuation?.resume(returning: result)
    }
}
