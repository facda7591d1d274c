import Glibc
@testable import Stack
import XCTest

final class ExitStatusTests: XCTestCase {
    func testDecodesWaitStatuses() {
        XCTAssertEqual(ExitStatus(waitStatus: 0), .exited(code: 0))
        XCTAssertEqual(ExitStatus(waitStatus: 3 << 8), .exited(code: 3))
        XCTAssertEqual(ExitStatus(waitStatus: SIGKILL), .signalled(signal: SIGKILL))
        // A core dump sets bit 7 beside the signal number.
        XCTAssertEqual(ExitStatus(waitStatus: SIGSEGV | 0x80), .signalled(signal: SIGSEGV))
    }

    func testDescribesTheExitTheWayTheErrorMessagesQuoteIt() {
        XCTAssertEqual(ExitStatus.exited(code: 1).description, "exited with status 1")
        XCTAssertEqual(ExitStatus.signalled(signal: SIGKILL).description, "was killed by signal 9 (SIGKILL)")
    }
}
