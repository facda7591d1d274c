import BookshelfContracts
import BookshelfJSON
import BookshelfServiceKit
import FoundationEssentials

/// A review as the service holds and answers it (contracts/rest/review).
public struct Review: Sendable, Equatable {
    public var id: UUID
    public var bookID: UUID
    /// Stars, 1 to 5.
    public var rating: Int
    public var reviewer: String
    public var text: String?

    public init(id: UUID, bookID: UUID, rating: Int, reviewer: String, text: String? = nil) {
        self.id = id
        self.bookID = bookID
        self.rating = rating
        self.reviewer = reviewer
        self.text = text
    }

    /// The members both the event's `data` and the REST answer carry.
    var members: [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [
            ("id", .string(id.lowercaseText)), ("bookId", .string(bookID.lowercaseText)),
            ("rating", .number(rating)), ("reviewer", .string(reviewer)),
        ]
        if let text { members.append(("text", .string(text))) }
        return members
    }

    public var json: JSONValue { .object(members) }
}

/// The service's one event, `reviews.review.posted` (contracts/events/reviews.review.posted). Keyed by the
/// book, so one book's reviews stay in order on one partition.
public struct ReviewEvent: ServiceEvent, Equatable {
    public static let posted = "reviews.review.posted"

    public var id: UUID
    public var time: Date
    public var review: Review
    /// The `Idempotency-Key` the client sent: kept in the event, so a replay relearns every key.
    public var idempotencyKey: String?

    public init(id: UUID, time: Date, review: Review, idempotencyKey: String? = nil) {
        self.id = id
        self.time = time
        self.review = review
        self.idempotencyKey = idempotencyKey
    }

    public var type: String { Self.posted }
    public var key: String { review.bookID.lowercaseText }

    public func data() -> JSONValue {
        var members = review.members
        if let idempotencyKey { members.append(("idempotencyKey", .string(idempotencyKey))) }
        return .object(members)
    }

    /// The contracts have checked `data` against v1 already: what is left is reading it.
    public init(id: UUID, time: Date, type: String, data: JSONValue) throws(UnreadableEvent) {
        guard type == Self.posted else {
            throw UnreadableEvent(code: "unknown-type", message: "Event type '\(type)' is not one the reviews service reads.")
        }
        guard let reviewID = data["id"]?.string.flatMap(UUID.init(text:)), let bookID = data["bookId"]?.string.flatMap(UUID.init(text:)),
              let rating = data["rating"]?.int, let reviewer = data["reviewer"]?.string else {
            throw UnreadableEvent(code: "invalid-event", message: "The \(type) event lacks id, bookId, rating or reviewer.")
        }
        self.init(
            id: id, time: time, review: Review(id: reviewID, bookID: bookID, rating: rating, reviewer: reviewer, text: data["text"]?.string),
            idempotencyKey: data["idempotencyKey"]?.string
        )
    }
}
