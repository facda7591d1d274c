import CCurl
import Glibc
import Logging
import Synchronization

/// The thread that owns the multi handle. Every curl call on a transfer after it is submitted happens here.
///
/// The loop drives libcurl's socket interface (`curl_multi_socket_action`) from its own epoll set, so each
/// wakeup touches only the transfers whose sockets are ready; `curl_multi_perform` would visit, and poll,
/// every transfer in flight on every wakeup. Other threads talk to the loop only through `shared` (a queue
/// of commands) and an eventfd in the same epoll set. The multi handle and both descriptors are freed in
/// `deinit`, when neither the thread nor any caller holds this object any more, so a wakeup can never reach
/// a closed descriptor.
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
    /// Loop-thread state: transfers currently inside the multi handle.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// Loop-thread state: the sockets libcurl asked to watch, with the epoll events it waits for.
    private var watched: [Int32: UInt32] = [:]
    /// Loop-thread state: the sockets in the epoll set, and those of them armed for their next event.
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

    private func run() {
        let capacity: Int32 = 64
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Int(capacity))
        defer { events.deallocate() }
        var running: Int32 = 0
        loop: while true {
            // libcurl's own clock decides when its timers are due. Asking it each turn, rather than keeping the
            // deadline its timer callback reported, cannot lose a timer to a wakeup a fraction of a millisecond early.
            var timeout = -1
            _ = curl_multi_timeout(multi, &timeout)
            if timeout == 0 {
                check(curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running))
                collectFinished()
                _ = curl_multi_timeout(multi, &timeout)
            }
            let ready = epoll_wait(epoll, events, capacity, Int32(clamping: timeout))
            var woken = false
            for index in 0..<Int(max(ready, 0)) {
                let event = events[index]
                let socket = event.data.fd
                if socket == wakeDescriptor {
                    woken = true
                    continue
                }
                // One-shot: the socket is disarmed now. An idle connection libcurl stopped watching stays so.
                armed.remove(socket)
                guard watched[socket] != nil else { continue }
                var mask: Int32 = 0
                if event.events & (EPOLLIN.rawValue | EPOLLHUP.rawValue) != 0 { mask |= CURL_CSELECT_IN }
                if event.events & EPOLLOUT.rawValue != 0 { mask |= CURL_CSELECT_OUT }
                if event.events & EPOLLERR.rawValue != 0 { mask |= CURL_CSELECT_ERR }
                check(curl_multi_socket_action(multi, socket, mask, &running))
                // Still waited on and not re-armed by libcurl's callback meanwhile: wait for the next event.
                if let events = watched[socket], !armed.contains(socket) { arm(socket, events) }
            }
            if woken {
                // Reset the eventfd before taking the queue: a command queued after this read wakes the next wait.
                var count: UInt64 = 0
                _ = read(wakeDescriptor, &count, MemoryLayout<UInt64>.size)
                let (commands, stopRequested) = shared.withLock { state in
                    defer {
                        state.commands.removeAll(keepingCapacity: true)
                        state.wakeupPending = false
                    }
                    return (state.commands, state.stopRequested)
                }
                for command in commands { apply(command) }
                if stopRequested { break loop }
            }
            collectFinished()
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
let curlGlobalInit: Void = {
    _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
}()

extension CurlTransfer {
    /// Calls the completion exactly once; the loop thread never finishes a transfer twice because it
    /// finishes only transfers it has just taken out of `active` or never put there.
    func finish(_ result: Result<HTTPClient.Response, HTTPClientError>) {
        let completion = self.completion
        self.completion = nil
        completion?(result)
    }
}
