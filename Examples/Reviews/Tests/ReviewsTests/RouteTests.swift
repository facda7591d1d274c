import BookshelfContracts
import BookshelfServiceKit
import BookshelfTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Reviews
import Testing

/// The service's routes over an in-memory event log, its projection replaying and following it: what the
/// `reviews` executable runs, with the log in place of Kafka.
@Suite struct RouteTests {
    static let review = "https://reviews.example/contracts/rest/review/review.schema.json"
    static let bookReviews = "https://reviews.example/contracts/rest/book-reviews/book-reviews.schema.json"
    static let json: HTTPFields = [.contentType: "application/json"]

    let log = InMemoryEventLog()
    let book = UUID().uuidString.lowercased()

    func service() -> (ServiceRoutes, ProjectionHost<ReviewsByBook>) {
        let readiness = Readiness()
        let routes = ServiceRoutes(metrics: ServiceMetrics(namespace: ReviewsService.defaults.metricsNamespace), readiness: readiness, problemNamespace: ReviewsService.defaults.problemNamespace)
        let reviews = log.projection(ReviewsByBook.self, contracts: contracts, positionHeaders: ReviewsService.positionHeaders, readiness: readiness)
        ReviewsService(reviews: reviews, publisher: log, contracts: contracts).addRoutes(to: routes)
        return (routes, reviews)
    }

    func body(rating: Int) -> ByteBuffer {
        ByteBuffer(string: #"{"bookId": "\#(book)", "rating": \#(rating), "reviewer": "Takver", "text": "Patient, generous, true."}"#)
    }

    @Test func postedReviewsAreReadBackWithTheirAverageOnceTheirPositionIsApplied() async throws {
        let (routes, reviews) = service()
        let book = self.book
        let (first, second) = (body(rating: 5), body(rating: 2))
        try await log.test(routes, running: [reviews]) { client in
            var written = ""
            for body in [first, second] {
                let response = try await client.execute(uri: "/reviews", method: .post, headers: Self.json, body: body)
                #expect(response.status == .created)
                try contracts.expectBody(response.body.readableBytesView, conformsTo: Self.review)
                written = try #require(response.headers[ReviewsService.positionHeaders.written])
            }
            let response = try await client.execute(
                uri: "/reviews/books/\(book)", method: .get, headers: [ReviewsService.positionHeaders.minimum: written]
            )
            #expect(response.status == .ok)
            try contracts.expectBody(response.body.readableBytesView, conformsTo: Self.bookReviews)
            let answer = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            #expect(answer?["count"] as? Int == 2)
            #expect(answer?["averageRating"] as? Double == 3.5)
            #expect(response.headers[ReviewsService.positionHeaders.written] == written)
            // The app's metrics carry its own namespace, derived from its settings' prefix (REVIEWS_).
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"reviews_http_requests_total{route="/reviews",method="POST",status="201"} 2"#))
            #expect(!metrics.contains("bookshelf"))
        }
        #expect(log.count == 2)
        for record in log.records { try contracts.expectEvent(record.value) }
    }

    @Test func aRetryWithTheSameKeyAnswersTheFirstReviewAndWritesNothing() async throws {
        let (routes, reviews) = service()
        let request = body(rating: 4)
        try await log.test(routes, running: [reviews]) { client in
            var headers = Self.json
            headers[.idempotencyKey] = "review-retry-1"
            let first = try await client.execute(uri: "/reviews", method: .post, headers: headers, body: request)
            let retry = try await client.execute(uri: "/reviews", method: .post, headers: headers, body: request)
            #expect(first.status == .created)
            #expect(retry.status == .created)
            #expect(retry.headers[.idempotentReplayed] == "true")
            #expect(retry.body == first.body)
        }
        #expect(log.count == 1)
    }

    @Test func aBodyTheContractRefusesIsAProblemNamingEachViolationAndWritesNothing() async throws {
        let (routes, reviews) = service()
        let book = self.book
        try await log.test(routes, running: [reviews]) { client in
            let response = try await client.execute(
                uri: "/reviews", method: .post, headers: Self.json, body: ByteBuffer(string: #"{"bookId": "\#(book)", "rating": 6, "reviewer": ""}"#)
            )
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/problem+json")
            let problem = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            #expect(problem?["code"] as? String == "invalid-body")
            #expect(problem?["type"] as? String == "urn:reviews:problem:invalid-body")
            let locations = (problem?["errors"] as? [[String: Any]])?.compactMap { $0["instanceLocation"] as? String }
            #expect(Set(locations ?? []) == ["/rating", "/reviewer"])

            let notJSON = try await client.execute(uri: "/reviews", method: .post, headers: Self.json, body: ByteBuffer(string: "{"))
            #expect(notJSON.status == .badRequest)
            let malformedID = try await client.execute(uri: "/reviews/books/Dune", method: .get)
            #expect(malformedID.status == .badRequest)
            #expect(try Self.problemType(malformedID) == "urn:reviews:problem:malformed-id")
        }
        #expect(log.count == 0)
    }

    /// Every problem the service answers, its own and the kit's, is typed in the app's namespace.
    @Test func problemsAreTypedInTheAppsNamespace() async throws {
        let (routes, reviews) = service()
        try await log.test(routes, running: [reviews]) { client in
            let unknown = try await client.execute(uri: "/books", method: .get)
            #expect(unknown.status == .notFound)
            #expect(try Self.problemType(unknown) == "urn:reviews:problem:not-found")
            let wrongMethod = try await client.execute(uri: "/reviews", method: .delete)
            #expect(wrongMethod.status == .methodNotAllowed)
            #expect(try Self.problemType(wrongMethod) == "urn:reviews:problem:method-not-allowed")
        }
    }

    static func problemType(_ response: TestResponse) throws -> String? {
        let problem = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
        return problem?["type"] as? String
    }

    @Test func aBrokerOutageIsARetryable503AndTheKeyWorksOnceItIsOver() async throws {
        struct BrokerDown: ServiceError {
            var code: String { "broker-unavailable" }
            var message: String { "The event broker is unavailable; nothing was stored, retry shortly." }
            var isRetryable: Bool { true }
        }
        let (routes, reviews) = service()
        let request = body(rating: 3)
        let log = self.log
        try await log.test(routes, running: [reviews]) { client in
            var headers = Self.json
            headers[.idempotencyKey] = "during-outage"
            log.failPublishing(with: BrokerDown())
            let down = try await client.execute(uri: "/reviews", method: .post, headers: headers, body: request)
            #expect(down.status == .serviceUnavailable)
            #expect(down.headers[.retryAfter] != nil)
            log.failPublishing(with: nil)
            let retried = try await client.execute(uri: "/reviews", method: .post, headers: headers, body: request)
            #expect(retried.status == .created)
            #expect(retried.headers[.idempotentReplayed] == nil)
        }
        #expect(log.count == 1)
    }
}
