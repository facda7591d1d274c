@testable import Stack
import XCTest

final class LineBufferTests: XCTestCase {
    func testJoinsALineWrittenInSeveralChunksAndDropsCarriageReturns() {
        var buffer = LineBuffer()
        XCTAssertEqual(buffer.append(Array("broker list".utf8)), [])
        XCTAssertEqual(buffer.append(Array("ening on 1\r\nsecond\nthi".utf8)), ["broker listening on 1", "second"])
        XCTAssertEqual(buffer.finish(), "thi")
        XCTAssertNil(buffer.finish())
    }

    func testCutsALineThatOutgrowsTheLimitInsteadOfHoldingItForever() {
        var buffer = LineBuffer(limit: 4)
        XCTAssertEqual(buffer.append(Array("abcdefghij".utf8)), ["abcd", "efgh"])
        XCTAssertEqual(buffer.append(Array("\n".utf8)), ["ij"])
    }
}
