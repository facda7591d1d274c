import Glibc

/// One `GET` that reads no further than the status line: enough to ask `/health/ready`, small enough to
/// run on the supervisor's own thread with a hard deadline, and free of any HTTP stack a child may be
/// the one testing.
struct HTTPProbe: Sendable {
    enum Outcome: Sendable, Equatable {
        case ready(status: Int)
        case notReady(reason: String)
    }

    let host: String
    let port: Int
    let path: String
    let timeout: Duration

    init(host: String, port: Int, path: String, timeout: Duration = .seconds(1)) {
        self.host = host
        self.port = port
        self.path = path
        self.timeout = timeout
    }

    func check() -> Outcome {
        let deadline = ContinuousClock.now + timeout
        let socket: Int32
        switch connect(before: deadline) {
        case .success(let fd): socket = fd
        case .failure(let reason): return .notReady(reason: reason.text)
        }
        defer { close(socket) }

        let request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: bookshelf-up\r\nConnection: close\r\n\r\n"
        var bytes = Array(request.utf8)[...]
        while !bytes.isEmpty {
            guard wait(socket, for: Int16(POLLOUT), until: deadline) else { return .notReady(reason: "timed out sending") }
            let sent = bytes.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return .notReady(reason: "send failed: \(String(cString: strerror(errno)))") }
            bytes = bytes.dropFirst(sent)
        }

        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while !response.contains(UInt8(ascii: "\n")), response.count < 4096 {
            guard wait(socket, for: Int16(POLLIN), until: deadline) else { return .notReady(reason: "timed out waiting for the response") }
            let received = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if received < 0, errno == EAGAIN || errno == EINTR { continue }
            guard received > 0 else { return .notReady(reason: "connection closed before a status line") }
            response += chunk[..<received]
        }
        return Self.outcome(statusLine: String(decoding: response.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self))
    }

    /// `HTTP/1.1 200 OK` → ready; any other status or a line that is not HTTP → not ready, with why.
    static func outcome(statusLine: String) -> Outcome {
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            return .notReady(reason: "not an HTTP status line: \(statusLine.prefix(80))")
        }
        return (200..<300).contains(status) ? .ready(status: status) : .notReady(reason: "HTTP \(status)")
    }

    private struct Failure: Error {
        let text: String
    }

    private func connect(before deadline: ContinuousClock.Instant) -> Result<Int32, Failure> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let first = list else {
            return .failure(Failure(text: "cannot resolve \(host): \(String(cString: gai_strerror(resolved)))"))
        }
        defer { freeaddrinfo(first) }

        var lastError = "no address for \(host)"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let address = candidate {
            candidate = address.pointee.ai_next
            let fd = socket(
                address.pointee.ai_family,
                Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                0
            )
            guard fd >= 0 else {
                lastError = String(cString: strerror(errno))
                continue
            }
            if Glibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 {
                return .success(fd)
            }
            var code = errno
            if code == EINPROGRESS {
                if wait(fd, for: Int16(POLLOUT), until: deadline) {
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
                    if code == 0 { return .success(fd) }
                } else {
                    code = ETIMEDOUT
                }
            }
            lastError = String(cString: strerror(code)).lowercased()
            close(fd)
        }
        return .failure(Failure(text: lastError))
    }

    /// Waits until `fd` is ready for `events` or the deadline passes; false on timeout or error.
    private func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return false }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, Int32(left.milliseconds))
            if ready < 0, errno == EINTR { continue }
            return ready > 0 && entry.revents & (events | Int16(POLLHUP) | Int16(POLLERR)) != 0
        }
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so a short remaining wait never becomes a busy `poll(…, 0)`.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }
}
