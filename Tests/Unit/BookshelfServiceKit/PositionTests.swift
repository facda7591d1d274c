import BookshelfServiceKit
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

    /// Exactly what contracts/rest/position accepts: digits only, bounded so they fit, no empty element.
    @Test func readsOnlyWhatThePositionContractAccepts() throws {
        for refused in ["0", "+1:4", "1:+4", "0:1,,3:4", ",0:1", "0:1,", "0:1000000000000000000", "1000000000:0", " :1", "0x1:2", "١:2"] {
            #expect(PositionVector(parsing: refused) == nil, "\(refused) should be refused")
        }
        #expect(PositionVector(parsing: "0:999999999999999999")?.offsets[0] == 999_999_999_999_999_999)
        #expect(PositionVector(parsing: "999999999:0")?.offsets[999_999_999] == 0)
        #expect(PositionVector(parsing: "007:010 ,\t1:2")?.description == "1:2,7:10")
    }

    @Test func clampingToTheEndOfTheLogDropsWhatDoesNotExist() throws {
        let end = try #require(PositionVector(parsing: "0:9,1:3"))
        #expect(try #require(PositionVector(parsing: "0:100,1:2,7:1")).clamped(to: end) == PositionVector([0: 9, 1: 2]))
        #expect(PositionVector([5: 1]).clamped(to: end).isEmpty)
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
