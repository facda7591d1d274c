import BookshelfContracts
import BookshelfServiceKit
import BookshelfTesting
import Foundation
import Reviews
import Testing

/// The service's contracts folder, found from this file so the tests run from any directory.
let contractsFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("contracts").path
let contracts: ContractRegistry = {
    do { return try ContractRegistry(folder: contractsFolder) } catch { fatalError("\(contractsFolder) does not load: \(error)") }
}()

/// The contract tests of contracts/: its examples give their verdicts, what the service writes is in it,
/// and every event it describes is one the service reads.
@Suite struct ContractTests {
    @Test func everyExampleGivesItsVerdict() {
        let report = ContractExamples.check(folder: contractsFolder)
        #expect(report.isPassing, "\(report)")
    }

    @Test func theEventsTheServiceWritesAreInTheContract() throws {
        let codec = EventCodec<ReviewEvent>(source: ReviewsService.eventSource, contracts: contracts)
        let review = Review(id: UUID(), bookID: UUID(), rating: 5, reviewer: "Shevek", text: "Both sides of the wall.")
        // Whole milliseconds: the envelope's `time` keeps them, and the event read back compares equal.
        let time = Date(timeIntervalSince1970: 1_796_638_500.25)
        for event in [ReviewEvent(id: UUID(), time: time, review: review, idempotencyKey: "retry-1"),
                      ReviewEvent(id: UUID(), time: time, review: Review(id: UUID(), bookID: UUID(), rating: 1, reviewer: "Odo"))] {
            let record = try codec.record(event)
            try contracts.expectEvent(record.value)
            #expect(record.key == event.review.bookID.lowercaseText)
            #expect(try codec.decode(record.value) == event)
        }
    }

    @Test func theCodecRefusesToWriteAnEventItsContractRefuses() {
        let codec = EventCodec<ReviewEvent>(source: ReviewsService.eventSource, contracts: contracts)
        let sixStars = ReviewEvent(id: UUID(), time: Date(), review: Review(id: UUID(), bookID: UUID(), rating: 6, reviewer: "Sabul"))
        #expect(throws: EventContractViolation.self) { try codec.record(sixStars) }
    }

    @Test func everyValidExampleEventIsReadAndEveryInvalidOneRefused() throws {
        let codec = EventCodec<ReviewEvent>(contracts: contracts)
        let examples = contractsFolder + "/events/reviews.review.posted/examples"
        let valid = try FileManager.default.contentsOfDirectory(atPath: examples + "/valid").sorted()
        #expect(!valid.isEmpty)
        for name in valid {
            let event = try codec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: examples + "/valid/" + name))))
            #expect(event.type == ReviewEvent.posted, "\(name)")
        }
        let invalid = try FileManager.default.contentsOfDirectory(atPath: examples + "/invalid").sorted()
        #expect(!invalid.isEmpty)
        for name in invalid {
            let wrapper = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: examples + "/invalid/" + name))) as? [String: Any]
            let instance = try JSONSerialization.data(withJSONObject: try #require(wrapper?["instance"]))
            #expect(throws: UnreadableEvent.self, "\(name)") { try codec.decode(Array(instance)) }
        }
    }
}
