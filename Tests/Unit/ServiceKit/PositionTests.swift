import ServiceKit
import Testing

@Suite struct PositionTests {
    @Test func parsesAndPrintsTheTextForm() throws {
        let vector = try #require(PositionVector(parsing: "3:1042, 0:17"))
        #expect(vector.description == "0:17,3:1042")
        #expect(PositionVector(parsing: "3-1042") == nil)
        #expect(PositionVector(parsing: "-1:4") == nil)
        #expect(PositionVector(parsing: "") == PositionVector())
        #expect(EventPosition("2:5") == EventPosition(partition: 2, offset: 5))
    }

    @Test func coversIsPerPartition() throws {
        var applied = PositionVector()
        applied.advance(to: EventPosition(partition: 0, offset: 10))
        applied.advance(to: EventPosition(partition: 0, offset: 4))
        #expect(applied.covers(try #require(PositionVector(parsing: "0:10"))))
        #expect(!applied.covers(try #require(PositionVector(parsing: "0:11"))))
        #expect(!applied.covers(try #require(PositionVector(parsing: "1:0"))))
        #expect(applied.covers(PositionVector()))
    }
}
