import BookshelfContracts
import BookshelfJSON
import BookshelfServiceKit
import FoundationEssentials

/// The service's read model, rebuilt by replaying its topic: every book's reviews in the order posted, and
/// which `Idempotency-Key` posted which review. Pure: no broker, no sockets.
public struct ReviewsByBook: Projection {
    private var seen = SeenEvents()
    private var reviewsByBook: [UUID: [Review]] = [:]
    private var reviewsByKey: [String: Review] = [:]
    /// Where the events of keys written by this process went; a key learned by replay has none.
    private var positionsByKey: [String: EventPosition] = [:]
    private var inFlight: Set<String> = []

    public init() {}

    public mutating func apply(_ event: ReviewEvent) -> ApplyOutcome {
        guard seen.insert(event.id) else { return .duplicate }
        reviewsByBook[event.review.bookID, default: []].append(event.review)
        if let key = event.idempotencyKey, reviewsByKey[key] == nil { reviewsByKey[key] = event.review }
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

    /// With a key, the key is reserved until `finish(key:with:)`, so a concurrent retry gets 409, not a
    /// second review.
    public mutating func decide(
        _ request: NewReviewRequest, idempotencyKey: String?, reviewID: UUID, eventID: UUID, now: Date
    ) throws(Problem) -> Decision {
        if let key = idempotencyKey {
            guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw Problem.badRequest(code: "invalid-idempotency-key", "Idempotency-Key must be 1 to 255 visible ASCII characters.")
            }
            if let review = reviewsByKey[key] { return .replay(review, position: positionsByKey[key]) }
            guard !inFlight.contains(key) else {
                throw Problem(
                    status: .conflict, code: "idempotency-key-in-use",
                    detail: "A request with this Idempotency-Key is still being processed; retry once it has answered.",
                    isRetryable: true, retryAfter: 1
                )
            }
        }
        if let key = idempotencyKey { inFlight.insert(key) }
        let review = Review(id: reviewID, bookID: request.bookID, rating: request.rating, reviewer: request.reviewer, text: request.text)
        return .publish(ReviewEvent(id: eventID, time: now, review: review, idempotencyKey: idempotencyKey))
    }

    /// Ends a reservation: with the review and its position once the broker acknowledged it (a retry finds
    /// it before the event comes back through the topic), with nil when publishing failed.
    public mutating func finish(key: String, with written: (review: Review, position: EventPosition)?) {
        inFlight.remove(key)
        if let written, reviewsByKey[key] == nil {
            reviewsByKey[key] = written.review
            positionsByKey[key] = written.position
        }
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
