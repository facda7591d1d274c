import BookshelfContracts
import BookshelfJSON
import BookshelfServiceKit
import FoundationEssentials
import Hummingbird

/// The reviews service's wiring: `POST /reviews` publishes `reviews.review.posted`, `GET
/// /reviews/books/{bookId}` answers from `ReviewsByBook`, which the service's own topic builds.
public struct ReviewsService: Sendable {
    public static let defaults = ServiceDefaults(
        name: "reviews", tags: ["reviews"], port: 8090, environmentPrefix: "REVIEWS_", problemNamespace: "urn:reviews:problem:")
    public static let eventSource = "/reviews/reviews"
    public static let events = EventStream(topic: "reviews.events", deadLetterTopic: "reviews.deadletter")
    public static let positionHeaders = PositionHeaders(written: .init("X-Reviews-Position")!, minimum: .init("X-Reviews-Min-Position")!)

    public let reviews: ProjectionHost<ReviewsByBook>
    let publisher: any EventPublisher
    let codec: EventCodec<ReviewEvent>

    public init(reviews: ProjectionHost<ReviewsByBook>, publisher: any EventPublisher, contracts: ContractRegistry) {
        self.reviews = reviews
        self.publisher = publisher
        codec = EventCodec(source: Self.eventSource, contracts: contracts)
    }

    public func addRoutes(to routes: ServiceRoutes) {
        routes.on("/reviews", method: .post) { request, context in
            try await post(request, context: context)
        }
        routes.on("/reviews/books/:bookId", method: .get) { request, context in
            try await bookReviews(request, bookID: context.parameters.get("bookId") ?? "")
        }
    }

    func post(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        guard reviews.isCaughtUp else {
            throw Problem.unavailable(code: "not-ready", "reviews is still replaying its topic to learn the idempotency keys it has seen.")
        }
        var request = request
        let body = try NewReviewRequest(validating: try await request.jsonBody(context: context).readableBytesView, against: codec.contracts)
        let key = request.headers[.idempotencyKey]
        let decision = try reviews.update { state in
            try state.decide(body, idempotencyKey: key, reviewID: UUID(), eventID: UUID(), now: Date())
        }
        switch decision {
        case .replay(let review, let position):
            return created(review, position: reviews.writtenPosition(ofReplayed: position), replayed: true)
        case .publish(let event):
            let position = try await reviews.publish(event, with: codec, answering: event.review, idempotencyKey: key, through: publisher)
            return created(event.review, position: position.description, replayed: false)
        }
    }

    func bookReviews(_ request: Request, bookID text: String) async throws -> Response {
        try await ViewGate.open(request, reviews)
        guard let bookID = UUID(text: text), bookID.lowercaseText == text else {
            throw Problem.badRequest(code: "malformed-id", "'\(text.prefix(64))' is not a book id; ids are lower-case UUIDs.")
        }
        let (found, applied) = reviews.read { state, applied in (state.reviews(of: bookID), applied) }
        let body = JSONValue.object([
            ("bookId", .string(bookID.lowercaseText)), ("count", .number(found.reviews.count)),
            ("averageRating", found.averageRating.map(JSONValue.number) ?? .null), ("reviews", .array(found.reviews.map(\.json))),
        ])
        return ServiceRoutes.json(body, status: .ok, headers: [reviews.positionHeaders.written: applied.description])
    }

    private func created(_ review: Review, position: String, replayed: Bool) -> Response {
        var headers: HTTPFields = [.location: "/reviews/books/\(review.bookID.lowercaseText)", reviews.positionHeaders.written: position]
        if replayed { headers[.idempotentReplayed] = "true" }
        return ServiceRoutes.json(review.json, status: .created, headers: headers)
    }
}
