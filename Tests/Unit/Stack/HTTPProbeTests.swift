import Foundation
@testable import Stack
import XCTest

final class HTTPProbeTests: XCTestCase {
    func testReadsTheStatusLine() {
        XCTAssertEqual(HTTPProbe.outcome(statusLine: "HTTP/1.1 200 OK"), .ready(status: 200))
        XCTAssertEqual(HTTPProbe.outcome(statusLine: "HTTP/1.0 204"), .ready(status: 204))
        XCTAssertEqual(HTTPProbe.outcome(statusLine: "HTTP/1.1 503 Service Unavailable"), .notReady(reason: "HTTP 503"))
        XCTAssertEqual(HTTPProbe.outcome(statusLine: "SSH-2.0-OpenSSH"), .notReady(reason: "not an HTTP status line: SSH-2.0-OpenSSH"))
    }

    func testAClosedPortIsNotReadyBecauseTheConnectionIsRefused() {
        let probe = HTTPProbe(host: "127.0.0.1", port: FakeChildren.freePort(), path: "/health/ready")
        XCTAssertEqual(probe.check(), .notReady(reason: "connection refused"))
    }

    func testAServerIsReadyOnlyWhereItAnswers2xx() throws {
        let port = FakeChildren.freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", FakeChildren.healthFolder]
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let ready = HTTPProbe(host: "127.0.0.1", port: port, path: "/health/ready")
        let deadline = Date(timeIntervalSinceNow: 10)
        while ready.check() != .ready(status: 200), Date() < deadline {
            usleep(50_000)
        }
        XCTAssertEqual(ready.check(), .ready(status: 200))
        XCTAssertEqual(HTTPProbe(host: "localhost", port: port, path: "/health/missing").check(), .notReady(reason: "HTTP 404"))
    }
}
