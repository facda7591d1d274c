import Glibc

/// A loopback port with nothing listening on it: bound, then closed.
public func closedPort() throws -> Int {
    let listener = try FullBacklogListener(fill: false)
    let port = listener.port
    listener.close()
    return port
}

/// A listening socket whose accept queue is full, so the kernel drops further SYNs and a connect never completes.
public final class FullBacklogListener: @unchecked Sendable {
    public let port: Int
    private var descriptors: [Int32] = []

    public struct SocketError: Error { public let call: String; public let errno: Int32 }

    public init(fill: Bool = true) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw SocketError(call: "socket", errno: errno) }
        descriptors.append(listener)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        guard bound == 0 else { throw SocketError(call: "bind", errno: errno) }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        guard fill else { return }
        guard listen(listener, 0) == 0 else { throw SocketError(call: "listen", errno: errno) }
        // Nobody accepts: a few connects fill the queue (Linux admits backlog + 1), later SYNs go unanswered.
        for _ in 0..<4 {
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard client >= 0 else { throw SocketError(call: "socket", errno: errno) }
            descriptors.append(client)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
    }

    public func close() {
        for descriptor in descriptors { _ = Glibc.close(descriptor) }
        descriptors.removeAll()
    }
}
