import Foundation
import Glibc
import BookshelfHTTPClient
import HTTPTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import BookshelfServiceKit
import Testing

@testable import Gateway

/// One client connection that writes raw bytes, so a test controls what HTTP clients normally decide for it
/// (the `Connection` header, pipelining, chunked bodies), and reads answers by their `Content-Length`.
final class RawConnection: @unchecked Sendable {
    struct Answer {
        var status: Int
        var headers: [(String, String)]
        var body: String

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    private let descriptor: Int32
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect to port \(port) failed: errno \(errno)") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// The next answer. Blocking reads run on a thread of their own: Swift's pool (and Dispatch's, which
    /// backs it on Linux) has a thread per core, and the servers under test need those.
    func answer(toHead: Bool = false) async throws -> Answer {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try self.readAnswer(toHead: toHead) }) }.start()
        }
    }

    /// Whether the server closed the connection (a read sees the end of the stream).
    func isClosedByServer() async -> Bool {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: (try? self.fill()) == false) }.start()
        }
    }

    /// Reads more bytes; false at the end of the stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { throw Failure(description: "no answer within 5 s (errno \(errno))") }
        buffer += chunk[..<count]
        return count > 0
    }

    private func readAnswer(toHead: Bool) throws -> Answer {
        let separator = Array("\r\n\r\n".utf8)
        var end: Int?
        while true {
            if buffer.count >= 4, let index = (0...(buffer.count - 4)).first(where: { Array(buffer[$0..<$0 + 4]) == separator }) {
                end = index
                break
            }
            guard try fill() else { throw Failure(description: "the connection closed before an answer") }
        }
        let lines = String(decoding: buffer[..<end!], as: UTF8.self).components(separatedBy: "\r\n")
        buffer.removeFirst(end! + 4)
        let status = Int(lines[0].split(separator: " ")[1])!
        let headers = lines.dropFirst().map { line -> (String, String) in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        }
        let length = toHead ? 0 : Int(headers.first { $0.0.lowercased() == "content-length" }?.1 ?? "0")!
        while buffer.count < length {
            guard try fill() else { throw Failure(description: "the connection closed inside a body") }
        }
        let body = String(decoding: buffer[..<length], as: UTF8.self)
        buffer.removeFirst(length)
        return Answer(status: status, headers: headers, body: body)
    }
}

@Suite struct ForwardingHandlerTests {
    /// A gateway on a real socket in front of `upstream`, with its metrics.
    static func withGateway(
        _ upstream: Upstream, _ body: @escaping @Sendable (_ port: Int, _ metrics: ServiceMetrics) async throws -> Void
    ) async throws {
        let client = HTTPClient()
        try await withTestServer(upstream.router()) { upstreamPort in
            let url = "http://127.0.0.1:\(upstreamPort)"
            let metrics = ServiceMetrics(namespace: "bookshelf")
            let app = GatewayServiceTests.gateway(
                ["booklist": [url], "newbook": [url], "readbook": [url]], client: client, metrics: metrics, handlersOnEventLoop: true,
                configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "gateway")
            )
            try await app.test(.live) { live in
                try await body(try #require(live.port), metrics)
            }
        }
        await client.shutdown()
    }

    @Test func headersListedInConnectionStopAtTheGateway() async throws {
        let upstream = Upstream()
        try await Self.withGateway(upstream) { port, _ in
            let connection = try RawConnection(port: port)
            connection.send("GET /bookshelf/books HTTP/1.1\r\nHost: gateway\r\nConnection: X-Hop\r\nX-Hop: 1\r\nX-Kept: 2\r\n\r\n")
            let answer = try await connection.answer()
            #expect(answer.status == 200)
        }
        let received = try #require(upstream.requests.first)
        #expect(received.headers["x-hop"] == nil)
        #expect(received.headers["x-kept"] == "2")
    }

    @Test func forwardedAnswersCarryTheHeadersHummingbirdsDo() async throws {
        let upstream = Upstream()
        try await Self.withGateway(upstream) { port, _ in
            let connection = try RawConnection(port: port)
            connection.send("GET /bookshelf/books HTTP/1.1\r\nHost: gateway\r\n\r\n")
            let forwarded = try await connection.answer()
            connection.send("GET /bookshelf/nothing HTTP/1.1\r\nHost: gateway\r\n\r\n")
            let local = try await connection.answer()
            #expect(forwarded.status == 200)
            #expect(local.status == 404)
            for answer in [forwarded, local] {
                #expect(answer.header("Server") == "gateway")
                #expect(answer.header("Date")?.hasSuffix(" GMT") == true)
                #expect(answer.header("X-Request-Id")?.count == 36)
                #expect(answer.header("Content-Length") == String(answer.body.utf8.count))
            }
            #expect(forwarded.body.contains("Frank Herbert"))
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderWhoeverAnswersThem() async throws {
        let upstream = Upstream(delay: .milliseconds(50))
        try await Self.withGateway(upstream) { port, _ in
            let connection = try RawConnection(port: port)
            // A slow forwarded request, then one Hummingbird answers, then forwarded again, then Hummingbird, in one write.
            let book = String(buffer: GatewayServiceTests.validBook)
            connection.send(
                "GET /bookshelf/books HTTP/1.1\r\nHost: g\r\nX-Request-Id: first\r\n\r\n"
                    + "GET /health/live HTTP/1.1\r\nHost: g\r\nX-Request-Id: second\r\n\r\n"
                    + "POST /bookshelf/books HTTP/1.1\r\nHost: g\r\nX-Request-Id: third\r\nContent-Type: application/json\r\nContent-Length: \(book.utf8.count)\r\n\r\n"
                    + book
                    + "GET /bookshelf/nothing HTTP/1.1\r\nHost: g\r\nX-Request-Id: fourth\r\n\r\n"
            )
            var answers: [RawConnection.Answer] = []
            for _ in 0..<4 { answers.append(try await connection.answer()) }
            #expect(answers.map(\.status) == [200, 200, 201, 404])
            #expect(answers.map { $0.header("X-Request-Id") } == ["first", "second", "third", "fourth"])
            #expect(answers[1].body.contains("live"))
        }
        #expect(upstream.requests.map(\.method) == ["GET", "POST"])
    }

    @Test func aChunkedBodyOverTheLimitIs413AndTheConnectionGoesOn() async throws {
        let upstream = Upstream()
        try await Self.withGateway(upstream) { port, _ in
            let connection = try RawConnection(port: port)
            let chunk = String(repeating: "x", count: 40 * 1024)
            let hex = String(chunk.utf8.count, radix: 16)
            connection.send(
                "POST /bookshelf/books HTTP/1.1\r\nHost: g\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "\(hex)\r\n\(chunk)\r\n\(hex)\r\n\(chunk)\r\n0\r\n\r\n"
                    + "GET /bookshelf/books HTTP/1.1\r\nHost: g\r\n\r\n"
            )
            let refused = try await connection.answer()
            #expect(refused.status == 413)
            #expect(refused.header("Content-Type") == "application/problem+json")
            #expect(refused.body.contains("body-too-large"))
            let next = try await connection.answer()
            #expect(next.status == 200)
        }
        #expect(upstream.requests.map(\.method) == ["GET"])
    }

    /// Connection's options are case-insensitive tokens, and the header may list several.
    @Test(arguments: ["close", "Close", "keep-alive, CLOSE"])
    func connectionCloseIsHonouredAfterTheAnswer(option: String) async throws {
        let upstream = Upstream()
        try await Self.withGateway(upstream) { port, _ in
            let connection = try RawConnection(port: port)
            connection.send("GET /bookshelf/books HTTP/1.1\r\nHost: g\r\nConnection: \(option)\r\n\r\n")
            let answer = try await connection.answer()
            #expect(answer.status == 200)
            #expect(await connection.isClosedByServer())
        }
    }

    @Test func headGetsTheLengthOfTheGetAndNoBody() async throws {
        let upstream = Upstream()
        try await Self.withGateway(upstream) { port, _ in
            let connection = try RawConnection(port: port)
            connection.send("HEAD /bookshelf/books HTTP/1.1\r\nHost: g\r\n\r\nGET /bookshelf/books HTTP/1.1\r\nHost: g\r\n\r\n")
            let head = try await connection.answer(toHead: true)
            let get = try await connection.answer()
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == String(get.body.utf8.count))
        }
    }

    @Test func forwardedRequestsAreCountedUnderTheAPIRoute() async throws {
        let upstream = Upstream()
        try await Self.withGateway(upstream) { port, metrics in
            let connection = try RawConnection(port: port)
            connection.send("GET /bookshelf/books HTTP/1.1\r\nHost: g\r\n\r\n")
            _ = try await connection.answer()
            connection.send("GET /metrics HTTP/1.1\r\nHost: g\r\n\r\n")
            let exposition = try await connection.answer().body
            #expect(exposition.contains(#"bookshelf_http_requests_total{route="/bookshelf/**",method="GET",status="200"} 1"#))
        }
    }
}
