import BookshelfServiceKit
import Foundation
import Reviews
import Testing

/// The projection alone: events in, state out, no broker and no HTTP.
@Suite struct ReviewsByBookTests {
    let dune = UUID()
    let earthsea = UUID()

    func posted(_ rating: Int, of book: UUID, key: String? = nil, id: UUID = UUID()) -> ReviewEvent {
        ReviewEvent(id: id, time: Date(), review: Review(id: UUID(), bookID: book, rating: rating, reviewer: "Takver"), idempotencyKey: key)
    }

    func request(_ rating: Int = 4) -> NewReviewRequest {
        NewReviewRequest(bookID: dune, rating: rating, reviewer: "Shevek", text: "Patient, generous, true.")
    }

    @Test func aBooksReviewsAreKeptInOrderWithTheirAverageRoundedToTwoDecimals() {
        var state = ReviewsByBook()
        for rating in [5, 4, 4] { #expect(state.apply(posted(rating, of: dune)) == .applied) }
        #expect(state.apply(posted(1, of: earthsea)) == .applied)
        let (reviews, average) = state.reviews(of: dune)
        #expect(reviews.map(\.rating) == [5, 4, 4])
        #expect(average == 4.33)
        #expect(state.reviews(of: earthsea).averageRating == 1)
    }

    @Test func aBookWithoutReviewsHasNoAverage() {
        let state = ReviewsByBook()
        #expect(state.reviews(of: dune).reviews.isEmpty)
        #expect(state.reviews(of: dune).averageRating == nil)
    }

    @Test func anEventAppliedTwiceCountsOnce() {
        var state = ReviewsByBook()
        let event = posted(5, of: dune)
        #expect(state.apply(event) == .applied)
        #expect(state.apply(event) == .duplicate)
        #expect(state.reviews(of: dune).reviews.count == 1)
    }

    @Test func aKeyPostsOnceAndItsRetryIsAnsweredWithTheFirstReview() throws {
        var state = ReviewsByBook()
        guard case .publish(let event) = try state.decide(request(), idempotencyKey: "k-1", reviewID: UUID(), eventID: UUID(), now: Date()) else {
            Issue.record("a new key publishes")
            return
        }
        #expect(event.idempotencyKey == "k-1")
        // While the first attempt waits for the broker, a retry must not publish a second review.
        #expect(throws: Problem.self) { try state.decide(request(), idempotencyKey: "k-1", reviewID: UUID(), eventID: UUID(), now: Date()) }
        let position = EventPosition(partition: 2, offset: 7)
        state.idempotencyKeys.finish(key: "k-1", with: (event.review, position))
        let retry = try state.decide(request(5), idempotencyKey: "k-1", reviewID: UUID(), eventID: UUID(), now: Date())
        #expect(retry == .replay(event.review, position: position))
    }

    @Test func aKeyWhosePublishFailedPublishesOnItsRetry() throws {
        var state = ReviewsByBook()
        _ = try state.decide(request(), idempotencyKey: "k-2", reviewID: UUID(), eventID: UUID(), now: Date())
        state.idempotencyKeys.finish(key: "k-2", with: nil)
        guard case .publish = try state.decide(request(), idempotencyKey: "k-2", reviewID: UUID(), eventID: UUID(), now: Date()) else {
            Issue.record("nothing was written: the retry publishes")
            return
        }
    }

    @Test func aKeyLearnedByReplayAnswersItsReviewWithoutAPosition() throws {
        var state = ReviewsByBook()
        let event = posted(3, of: dune, key: "k-3")
        _ = state.apply(event)
        #expect(try state.decide(request(), idempotencyKey: "k-3", reviewID: UUID(), eventID: UUID(), now: Date()) == .replay(event.review, position: nil))
    }

    @Test func aKeyOfInvisibleOrTooManyCharactersIsRefused() {
        var state = ReviewsByBook()
        for key in ["", "with space", String(repeating: "k", count: 256)] {
            let problem = #expect(throws: Problem.self) { try state.decide(request(), idempotencyKey: key, reviewID: UUID(), eventID: UUID(), now: Date()) }
            #expect(problem?.code == "invalid-idempotency-key")
        }
    }
}
