import BookshelfContracts
import BookshelfJSON
import BookshelfServiceKit
import FoundationEssentials

/// The service's read model, rebuilt by replaying its topic: every book's reviews in the order posted, and
/// which `Idempotency-Key` posted which review. Pure: no broker, no sockets.
public struct ReviewsByBook: IdempotentProjection {
    private var seen = SeenEvents()
    private var reviewsByBook: [UUID: [Review]] = [:]
    /// Which key posted which review; `ProjectionHost.publish` ends a write's reservation here.
    public var idempotencyKeys = IdempotencyLedger<Review>()

    public init() {}

    public mutating func apply(_ event: ReviewEvent) -> ApplyOutcome {
        guard seen.insert(event.id) else { return .duplicate }
        reviewsByBook[event.review.bookID, default: []].append(event.review)
        if let key = event.idempotencyKey { idempotencyKeys.learn(key: key, value: event.review) }
        return .applied
    }

    /// A book's reviews, oldest first, with their average rating rounded to two decimals (nil without any).
    public func reviews(of bookID: UUID) -> (reviews: [Review], averageRating: Double?) {
        let reviews = reviewsByBook[bookID] ?? []
        guard !reviews.isEmpty else { return ([], nil) }
        let average = Double(reviews.reduce(0) { $0 + $1.rating }) / Double(reviews.count)
        return (reviews, (average * 100).rounded() / 100)
    }

    /// What to do with a POST, decided atomically against this state.
    public enum Decision: Equatable, Sendable {
        /// Publish this event, then answer with its review.
        case publish(ReviewEvent)
        /// The key posted a review already: answer with it, publish nothing.
        case replay(Review, position: EventPosition?)
    }

    /// With a key, the key is reserved until the ledger's `finish(key:with:)`, so a concurrent retry gets
    /// 409, not a second review.
    public mutating func decide(
        _ request: NewReviewRequest, idempotencyKey: String?, reviewID: UUID, eventID: UUID, now: Date
    ) throws(Problem) -> Decision {
        if let key = idempotencyKey {
            if let answer = try idempotencyKeys.check(key) { return .replay(answer.value, position: answer.position) }
            idempotencyKeys.reserve(key)
        }
        let review = Review(id: reviewID, bookID: request.bookID, rating: request.rating, reviewer: request.reviewer, text: request.text)
        return .publish(ReviewEvent(id: eventID, time: now, review: review, idempotencyKey: idempotencyKey))
    }
}

/// The body of `POST /reviews`, checked against contracts/rest/new-review-request.
public struct NewReviewRequest: Equatable, Sendable {
    public static let schemaID = "https://reviews.example/contracts/rest/new-review-request/new-review-request.schema.json"

    public var bookID: UUID
    public var rating: Int
    public var reviewer: String
    public var text: String?

    public init(bookID: UUID, rating: Int, reviewer: String, text: String? = nil) {
        self.bookID = bookID
        self.rating = rating
        self.reviewer = reviewer
        self.text = text
    }

    /// 400 `malformed-json` or `invalid-body` (every violation in `errors`) for a body the contract refuses.
    public init(validating body: some Collection<UInt8>, against contracts: ContractRegistry) throws(Problem) {
        let (value, violations) = try ContractBody.parse(body, against: Self.schemaID, in: contracts, service: "reviews")
        guard violations.isEmpty, let bookID = value["bookId"]?.string.flatMap(UUID.init(text:)), let rating = value["rating"]?.int,
              let reviewer = value["reviewer"]?.string else {
            throw ContractBody.invalid(violations, contract: "new-review request", advice: "")
        }
        self.bookID = bookID
        self.rating = rating
        self.reviewer = reviewer
        text = value["text"]?.string
    }
}
