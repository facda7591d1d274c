import Foundation
import Glibc
import Hummingbird
import Logging
import NIOCore
import BookshelfServiceKit

/// Runs Hummingbird responders, each on an ephemeral loopback port, while `body` runs with their ports.
func withServers<Builder: HTTPResponderBuilder, R: Sendable>(
    _ responders: [Builder], _ body: @Sendable ([Int]) async throws -> R
) async throws -> R where Builder.Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
    var logger = Logger(label: "contract-upstream")
    logger.logLevel = .critical
    var streams: [AsyncStream<Int>] = []
    var apps: [Application<Builder.Responder>] = []
    for responder in responders {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        streams.append(ports)
        apps.append(Application(
            router: responder,
            // The gateway under test may still connect while these stop; see `AcceptedConnection`.
            server: .serviceHTTP1(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger
        ))
    }
    return try await withThrowingTaskGroup(of: Void.self) { group in
        for app in apps { group.addTask { try await app.run() } }
        defer { group.cancelAll() }
        var ports: [Int] = []
        for stream in streams {
            var iterator = stream.makeAsyncIterator()
            guard let port = await iterator.next(), port != 0 else { throw UpstreamError.didNotStart }
            ports.append(port)
        }
        return try await body(ports)
    }
}

enum UpstreamError: Error { case didNotStart, socket(String) }

/// A loopback listener that answers every connection with bytes that are not HTTP and closes it: what a
/// gateway must report as 502.
final class GarbageServer: @unchecked Sendable {
    let port: Int
    private let descriptor: Int32
    private let thread: Thread

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw UpstreamError.socket("socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        guard bound == 0, listen(listener, 16) == 0 else { throw UpstreamError.socket("bind/listen") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        descriptor = listener
        thread = Thread {
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = read(client, &buffer, buffer.count)
                let garbage = Array("SSH-2.0-not-http\r\n\r\n".utf8)
                _ = write(client, garbage, garbage.count)
                _ = Glibc.close(client)
            }
        }
        thread.start()
    }

    /// Closing the listener ends the accept loop.
    func close() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        _ = Glibc.close(descriptor)
    }
}
