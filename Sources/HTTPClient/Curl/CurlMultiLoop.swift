import CCurl
import Glibc
import Logging
import Synchronization

/// The multi handle, the thread that watches its sockets and timers, and the lock that lets other threads
/// drive it too.
///
/// libcurl's socket interface (`curl_multi_socket_action`) runs from this object's epoll set, so each call
/// touches only the transfers whose sockets are ready (`curl_multi_perform` would visit, and poll, every
/// transfer in flight). The multi handle is not thread-safe: every call on it, and the state below `driving`,
/// happens with `driving` held. Two kinds of thread hold it:
/// - the loop thread (`bookshelf-curl`), which waits in `epoll_wait` for sockets and timers, and applies the
///   commands other threads queue in `shared` (waking it through an eventfd in the same set);
/// - a thread that starts a transfer itself (`start(_:)`: a NIO event loop, never Swift's cooperative pool),
///   which adds the handle and lets libcurl send the request there and then, without waking the loop thread.
///
/// Completions run after `driving` is released, on whichever of those threads finished the transfer, so a
/// completion may start another transfer. The multi handle and both descriptors are freed in `deinit`, when
/// neither the thread nor any caller holds this object any more, so a wakeup can never reach a closed descriptor.
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
    private let epoll: Int32
    private let wakeDescriptor: Int32
    private let shared = Mutex(Shared())
    private let logger: Logger
    /// Held for every call on the multi handle and every access to the state below.
    private let driving = Mutex(())
    /// Transfers currently inside the multi handle.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// Transfers finished while `driving` was held, completed once it is released.
    private var completed: [(CurlTransfer, Result<HTTPClient.Response, HTTPClientError>)] = []
    /// The sockets libcurl asked to watch, with the epoll events it waits for.
    private var watched: [Int32: UInt32] = [:]
    /// The sockets in the epoll set, and those of them armed for their next event.
    private var registered: Set<Int32> = []
    private var armed: Set<Int32> = []
    /// When the loop thread wakes for libcurl's next timer (`.max`: not before an event). A thread that
    /// starts a transfer with an earlier timer wakes it, so no deadline is slept through.
    private var loopWakesAt = UInt64.max
    /// Set by the loop thread at shutdown; transfers started after it fail with `.shutdown`.
    private var closed = false

    init(maxIdleConnections: Int, logger: Logger) {
        _ = curlGlobalInit
        guard let multi = curl_multi_init() else {
            fatalError("curl_multi_init failed: libcurl is out of memory")
        }
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        let wakeDescriptor = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard epoll >= 0, wakeDescriptor >= 0 else {
            fatalError("the HTTP client cannot create its epoll set or eventfd: \(String(cString: strerror(errno)))")
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeDescriptor
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, wakeDescriptor, &event) == 0 else {
            fatalError("the HTTP client cannot watch its eventfd: \(String(cString: strerror(errno)))")
        }
        self.multi = multi
        self.epoll = epoll
        self.wakeDescriptor = wakeDescriptor
        self.logger = logger
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = bs_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxIdleConnections)
        _ = bs_curl_multi_setopt_ptr(multi, CURLMOPT_SOCKETDATA, me)
        _ = bs_curl_multi_setopt_socketfunction(multi) { _, socket, what, context, _ in
            Unmanaged<CurlMultiLoop>.fromOpaque(context!).takeUnretainedValue().watch(socket, what)
            return 0
        }
        startThread()
    }

    deinit {
        // Cleanup tells the socket callback to forget each socket, so the epoll set must still be open.
        curl_multi_cleanup(multi)
        close(wakeDescriptor)
        close(epoll)
    }

    /// The thread keeps the loop alive until `run()` returns.
    private func startThread() {
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { context in
            let loop = Unmanaged<CurlMultiLoop>.fromOpaque(context!).takeRetainedValue()
            loop.run()
            return nil
        }, context)
        guard created == 0 else {
            fatalError("the HTTP client cannot start its thread: \(String(cString: strerror(created)))")
        }
        _ = pthread_setname_np(thread, "bookshelf-curl")
        pthread_detach(thread)
    }

    /// Adds the transfer and lets libcurl send it on the calling thread, which may wait for `driving` (held for
    /// one call into libcurl at a time) but never for the network: connections are non-blocking, and libcurl
    /// 7.88 resolves host names on a thread of its own (its threaded resolver; IP literals need no lookup).
    /// Transfers that finish meanwhile, this one or others, complete on the calling thread before it returns.
    func start(_ transfer: CurlTransfer) {
        let accepted = drive { () -> Bool in
            guard !closed else { return false }
            add(transfer)
            var running: Int32 = 0
            // A new handle is due at once: libcurl takes a cached connection (or starts connecting) and sends.
            check(curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running))
            collectFinished()
            var timeout = -1
            _ = curl_multi_timeout(multi, &timeout)
            if timeout >= 0, Self.now() &+ UInt64(timeout) * 1_000_000 < loopWakesAt {
                loopWakesAt = 0
                wakeUp()
            }
            return true
        }
        if !accepted {
            transfer.finish(.failure(HTTPClientError(.shutdown, "the HTTP client has been shut down")))
        }
    }

    /// Hands the transfer to the loop thread, for callers that must not wait for `driving` (Swift's cooperative pool).
    func submit(_ transfer: CurlTransfer) {
        let (accepted, wake) = shared.withLock { state -> (Bool, Bool) in
            guard !state.stopped, !state.stopRequested else { return (false, false) }
            state.commands.append(.add(transfer))
            return (true, state.takeWakeup())
        }
        if wake { wakeUp() }
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
        if wake { wakeUp() }
    }

    func requestStop() {
        let wake = shared.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.stopRequested = true
            return state.takeWakeup()
        }
        if wake { wakeUp() }
    }

    func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (alreadyStopped, wake) = shared.withLock { state -> (Bool, Bool) in
                if state.stopped { return (true, false) }
                state.stopWaiters.append(continuation)
                state.stopRequested = true
                return (false, state.takeWakeup())
            }
            if wake { wakeUp() }
            if alreadyStopped { continuation.resume() }
        }
    }

    private func wakeUp() {
        var one: UInt64 = 1
        // Fails only when the counter is about to overflow, and then the loop is awake anyway.
        _ = write(wakeDescriptor, &one, MemoryLayout<UInt64>.size)
    }

    /// Runs `body` with `driving` held, then completes the transfers it finished, without the lock, so a
    /// completion can start another transfer.
    private func drive<T>(_ body: () -> T) -> T {
        let (value, finished) = driving.withLock { _ in
            let value = body()
            defer { completed = [] }
            return (value, completed)
        }
        for (transfer, result) in finished { transfer.finish(result) }
        return value
    }

    private static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    private func run() {
        let capacity: Int32 = 64
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Int(capacity))
        defer { events.deallocate() }
        var timeout = drive { runDueTimers() }
        loop: while true {
            let ready = epoll_wait(epoll, events, capacity, Int32(clamping: timeout))
            var commands: [Command] = []
            var stopRequested = false
            for index in 0..<Int(max(ready, 0)) where events[index].data.fd == wakeDescriptor {
                // Reset the eventfd before taking the queue: a command queued after this read wakes the next wait.
                var count: UInt64 = 0
                _ = read(wakeDescriptor, &count, MemoryLayout<UInt64>.size)
                (commands, stopRequested) = shared.withLock { state in
                    defer {
                        state.commands = []
                        state.wakeupPending = false
                    }
                    return (state.commands, state.stopRequested)
                }
            }
            timeout = drive {
                for index in 0..<Int(max(ready, 0)) where events[index].data.fd != wakeDescriptor {
                    handle(events[index])
                }
                for command in commands { apply(command) }
                return runDueTimers()
            }
            if stopRequested { break loop }
        }
        shutDown()
    }

    /// Fails every transfer still in flight or queued, and lets `stop()` return.
    private func shutDown() {
        let (leftover, waiters) = shared.withLock { state in
            state.stopped = true
            defer {
                state.commands.removeAll()
                state.stopWaiters.removeAll()
            }
            return (state.commands, state.stopWaiters)
        }
        let shutdown = HTTPClientError(.shutdown, "the HTTP client was shut down before the response arrived")
        drive {
            closed = true
            for (easy, transfer) in active {
                curl_multi_remove_handle(multi, easy)
                completed.append((transfer, .failure(shutdown)))
            }
            active.removeAll()
        }
        for case .add(let transfer) in leftover {
            transfer.finish(.failure(shutdown))
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Runs libcurl's timers that are due, and returns how long the loop thread may then sleep (-1: until an event).
    private func runDueTimers() -> Int {
        // libcurl's own clock decides when its timers are due. Asking it each turn, rather than keeping the
        // deadline its timer callback reported, cannot lose a timer to a wakeup a fraction of a millisecond early.
        var timeout = -1
        _ = curl_multi_timeout(multi, &timeout)
        if timeout == 0 {
            var running: Int32 = 0
            check(curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running))
            collectFinished()
            _ = curl_multi_timeout(multi, &timeout)
        }
        loopWakesAt = timeout < 0 ? .max : Self.now() &+ UInt64(timeout) * 1_000_000
        return timeout
    }

    private func handle(_ event: epoll_event) {
        let socket = event.data.fd
        // One-shot: the socket is disarmed now. An idle connection libcurl stopped watching stays so.
        armed.remove(socket)
        guard watched[socket] != nil else { return }
        var mask: Int32 = 0
        if event.events & (EPOLLIN.rawValue | EPOLLHUP.rawValue) != 0 { mask |= CURL_CSELECT_IN }
        if event.events & EPOLLOUT.rawValue != 0 { mask |= CURL_CSELECT_OUT }
        if event.events & EPOLLERR.rawValue != 0 { mask |= CURL_CSELECT_ERR }
        var running: Int32 = 0
        check(curl_multi_socket_action(multi, socket, mask, &running))
        // Still waited on and not re-armed by libcurl's callback meanwhile: wait for the next event.
        if let events = watched[socket], !armed.contains(socket) { arm(socket, events) }
        collectFinished()
    }

    private func check(_ code: CURLMcode) {
        if code != CURLM_OK {
            logger.error("curl_multi_socket_action failed", metadata: ["error": "\(String(cString: curl_multi_strerror(code)))"])
        }
    }

    /// libcurl's socket callback: keeps the epoll set armed for the sockets and directions libcurl waits on.
    ///
    /// Sockets are registered one-shot and never deleted while open: a connection goes back to libcurl's cache
    /// after every exchange (libcurl stops watching it) and is watched again for the next one, and re-arming it
    /// then is one `epoll_ctl` where adding and deleting it were two. A disarmed socket reports nothing, so an
    /// idle connection the upstream closes cannot wake the loop; libcurl finds it dead when it next reuses it.
    private func watch(_ socket: Int32, _ what: Int32) {
        if what == CURL_POLL_REMOVE {
            watched.removeValue(forKey: socket)
            return
        }
        let events = (what & CURL_POLL_IN != 0 ? EPOLLIN.rawValue : 0) | (what & CURL_POLL_OUT != 0 ? EPOLLOUT.rawValue : 0)
        watched[socket] = events
        arm(socket, events)
    }

    private func arm(_ socket: Int32, _ events: UInt32) {
        var event = epoll_event()
        event.events = events | EPOLLONESHOT.rawValue
        event.data.fd = socket
        var operation = registered.insert(socket).inserted ? EPOLL_CTL_ADD : EPOLL_CTL_MOD
        var status = epoll_ctl(epoll, operation, socket, &event)
        // A closed socket leaves the epoll set by itself and its number may come back: trust the kernel's view.
        if status != 0 && (errno == EEXIST || errno == ENOENT) {
            operation = errno == EEXIST ? EPOLL_CTL_MOD : EPOLL_CTL_ADD
            status = epoll_ctl(epoll, operation, socket, &event)
        }
        if status == 0 {
            armed.insert(socket)
        } else {
            logger.error("the HTTP client cannot watch a socket", metadata: ["error": "\(String(cString: strerror(errno)))"])
        }
    }

    private func apply(_ command: Command) {
        switch command {
        case .add(let transfer):
            add(transfer)
        case .cancel(let transfer):
            // Absent when it already finished, or when it was never added (the add path saw the flag).
            guard active.removeValue(forKey: transfer.easy) != nil else { return }
            curl_multi_remove_handle(multi, transfer.easy)
            completed.append((transfer, .failure(HTTPClientError(.cancelled, "the request was cancelled"))))
        }
    }

    private func add(_ transfer: CurlTransfer) {
        if transfer.isCancelled.load(ordering: .sequentiallyConsistent) {
            completed.append((transfer, .failure(HTTPClientError(.cancelled, "the request was cancelled"))))
            return
        }
        let added = curl_multi_add_handle(multi, transfer.easy)
        guard added == CURLM_OK else {
            let reason = String(cString: curl_multi_strerror(added))
            completed.append((transfer, .failure(HTTPClientError(.invalidRequest, "libcurl refused the transfer: \(reason)"))))
            return
        }
        active[transfer.easy] = transfer
    }

    private func collectFinished() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            guard let transfer = active.removeValue(forKey: easy) else { continue }
            let outcome = transfer.outcome(code)
            curl_multi_remove_handle(multi, easy)
            completed.append((transfer, outcome))
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
let curlGlobalInit: Void = {
    _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
}()

extension CurlTransfer {
    /// Calls the completion exactly once: a transfer is finished only by the thread that has just taken it
    /// out of `active` (or never put it there), with `driving` held, and completed once that is released.
    func finish(_ result: Result<HTTPClient.Response, HTTPClientError>) {
        let completion = self.completion
        self.completion = nil
        completion?(result)
    }
}
