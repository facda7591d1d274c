import CCurl
import Glibc
import Logging
import Synchronization

/// The multi handle, the thread that watches its sockets and timers, and the protocol that lets other threads
/// drive it too.
///
/// libcurl's socket interface (`curl_multi_socket_action`) runs from this object's epoll set, so each call
/// touches only the transfers whose sockets are ready (`curl_multi_perform` would visit, and poll, every
/// transfer in flight). The multi handle is not thread-safe, so everything that touches it is a `Command` in
/// one queue (`shared`), and one thread at a time, the one holding `driving`, applies the queue, runs
/// libcurl's due timers and collects finished transfers:
/// - the loop thread (`bookshelf-curl`) waits in `epoll_wait` for sockets, timers and its eventfd, queues what
///   it saw and drives;
/// - a thread that starts a transfer itself (`start(_:)`: a NIO event loop, never Swift's cooperative pool)
///   queues it and drives, so libcurl sends the request there and then, without waking the loop thread;
/// - `submit(_:)` and `cancel(_:)` (Swift tasks) only queue, and wake the loop thread.
/// Nobody waits for `driving`: a thread that finds it held leaves its commands to the holder, which looks at
/// the queue again after letting go. Completions run after that, on the thread that finished the transfer, so
/// a completion may start another transfer. The multi handle and both descriptors are freed in `deinit`, when
/// neither the thread nor any caller holds this object any more, so a wakeup can never reach a closed descriptor.
final class CurlMultiLoop: @unchecked Sendable {
    fileprivate enum Command {
        case add(CurlTransfer)
        case cancel(CurlTransfer)
        /// A socket the loop thread saw ready, with its epoll events.
        case ready(Int32, UInt32)
        /// The loop thread's timer expired: whoever drives runs libcurl's due timers, as every drive does.
        case timers
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
    /// Held (true) by the one thread that may call libcurl and touch the state below it.
    private let driving = Atomic<Bool>(false)
    /// When the loop thread should next wake for libcurl's timers, in `CLOCK_MONOTONIC` nanoseconds (`.max`:
    /// only for an event). Written at the end of every drive; a drive that moves it earlier wakes the loop thread.
    private let loopWakesAt = Atomic<UInt64>(.max)
    /// Transfers currently inside the multi handle.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// Transfers finished during a drive, completed once `driving` is let go.
    private var completed: [(CurlTransfer, Result<HTTPClient.Response, HTTPClientError>)] = []
    /// The sockets libcurl asked to watch, with the epoll events it waits for.
    private var watched: [Int32: UInt32] = [:]
    /// The sockets in the epoll set, and those of them armed for their next event.
    private var registered: Set<Int32> = []
    private var armed: Set<Int32> = []

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

    /// Queues the transfer and drives, so libcurl sends it from the calling thread, unless another thread is
    /// driving, which then sends it. Never waits for the network: connections are non-blocking, and libcurl
    /// 7.88 resolves host names on a thread of its own (its threaded resolver; IP literals need no lookup).
    /// Transfers that finish meanwhile, this one or others, may complete on the calling thread before it returns.
    func start(_ transfer: CurlTransfer) {
        if enqueue(transfer) { drive(onLoopThread: false) }
    }

    /// Queues the transfer without sending it or waking the loop thread: `sendQueued()` sends it, or whichever
    /// thread drives first. Returns false when it was refused (and completed) because the client is shutting down.
    @discardableResult
    func enqueue(_ transfer: CurlTransfer) -> Bool {
        let accepted = shared.withLock { state -> Bool in
            guard !state.stopped, !state.stopRequested else { return false }
            state.commands.append(.add(transfer))
            return true
        }
        if !accepted {
            transfer.finish(.failure(HTTPClientError(.shutdown, "the HTTP client has been shut down")))
        }
        return accepted
    }

    /// Sends what is queued from the calling thread (as `start(_:)` does), unless another thread is driving.
    func sendQueued() {
        drive(onLoopThread: false)
    }

    /// Hands the transfer to the loop thread, for callers that must not call libcurl (Swift's cooperative pool).
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

    private func tryTakeDriving() -> Bool {
        driving.compareExchange(expected: false, desired: true, successOrdering: .acquiring, failureOrdering: .relaxed).exchanged
    }

    /// Applies the queue while there is one and no other thread drives, and completes what finished after each
    /// turn, with `driving` let go, so a completion may queue and drive again.
    private func drive(onLoopThread: Bool) {
        repeat {
            guard tryTakeDriving() else { return }
            let commands = shared.withLock { state in
                defer { state.commands = [] }
                return state.commands
            }
            for command in commands { apply(command) }
            let wakesAt = runDueTimers()
            let before = loopWakesAt.exchange(wakesAt, ordering: .relaxed)
            let finished = completed
            completed = []
            driving.store(false, ordering: .releasing)
            // The loop thread reads its deadline before it sleeps: if it sleeps past this earlier one, wake it.
            if !onLoopThread, wakesAt < before { wakeUp() }
            for (transfer, result) in finished { transfer.finish(result) }
        } while shared.withLock({ !$0.commands.isEmpty })
    }

    private static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// How long the loop thread may sleep, in milliseconds rounded up (-1: until an event).
    private func sleepTimeout() -> Int32 {
        let wakesAt = loopWakesAt.load(ordering: .relaxed)
        guard wakesAt != .max else { return -1 }
        let now = Self.now()
        return wakesAt <= now ? 0 : Int32(clamping: (wakesAt - now + 999_999) / 1_000_000)
    }

    private func run() {
        let capacity: Int32 = 64
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Int(capacity))
        defer { events.deallocate() }
        var seen: [Command] = []
        while true {
            let ready = epoll_wait(epoll, events, capacity, sleepTimeout())
            seen.removeAll(keepingCapacity: true)
            var woken = false
            for index in 0..<Int(max(ready, 0)) {
                if events[index].data.fd == wakeDescriptor {
                    woken = true
                } else {
                    seen.append(.ready(events[index].data.fd, events[index].events))
                }
            }
            if ready == 0 { seen.append(.timers) }
            if woken {
                // Reset the eventfd before taking the queue: a command queued after this read wakes the next wait.
                var count: UInt64 = 0
                _ = read(wakeDescriptor, &count, MemoryLayout<UInt64>.size)
            }
            let stopRequested = shared.withLock { state in
                if woken { state.wakeupPending = false }
                state.commands.append(contentsOf: seen)
                return state.stopRequested
            }
            if stopRequested { break }
            drive(onLoopThread: true)
        }
        shutDown()
    }

    /// Fails every transfer still in flight or queued, and lets `stop()` return.
    private func shutDown() {
        let (leftover, waiters) = shared.withLock { state in
            state.stopped = true
            defer {
                state.commands = []
                state.stopWaiters = []
            }
            return (state.commands, state.stopWaiters)
        }
        // Nothing is queued from here on; a thread still driving is finishing the commands it took.
        while !tryTakeDriving() { sched_yield() }
        let shutdown = HTTPClientError(.shutdown, "the HTTP client was shut down before the response arrived")
        for (easy, transfer) in active {
            curl_multi_remove_handle(multi, easy)
            completed.append((transfer, .failure(shutdown)))
        }
        active.removeAll()
        for case .add(let transfer) in leftover {
            completed.append((transfer, .failure(shutdown)))
        }
        let finished = completed
        completed = []
        driving.store(false, ordering: .releasing)
        for (transfer, result) in finished { transfer.finish(result) }
        for waiter in waiters { waiter.resume() }
    }

    /// Runs libcurl's timers that are due, and returns when the next one is (`.max`: none).
    private func runDueTimers() -> UInt64 {
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
        return timeout < 0 ? .max : Self.now() &+ UInt64(timeout) * 1_000_000
    }

    private func handle(_ socket: Int32, _ events: UInt32) {
        // One-shot: the socket is disarmed now. An idle connection libcurl stopped watching stays so.
        armed.remove(socket)
        guard watched[socket] != nil else { return }
        var mask: Int32 = 0
        if events & (EPOLLIN.rawValue | EPOLLHUP.rawValue) != 0 { mask |= CURL_CSELECT_IN }
        if events & EPOLLOUT.rawValue != 0 { mask |= CURL_CSELECT_OUT }
        if events & EPOLLERR.rawValue != 0 { mask |= CURL_CSELECT_ERR }
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
        case .ready(let socket, let events):
            handle(socket, events)
        case .timers:
            break
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
