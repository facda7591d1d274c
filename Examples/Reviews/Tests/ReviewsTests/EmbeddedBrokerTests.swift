import BookshelfKafka
import BookshelfServiceKit
import BookshelfTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Reviews
import Testing

/// The service on a real Kafka-protocol broker (librdkafka's mock cluster, in this process), wired as the
/// `reviews` executable wires it.
@Suite struct EmbeddedBrokerTests {
    @Test func aReviewTravelsThroughTheTopicToTheProjectionAndAPoisonRecordIsDeadLettered() async throws {
        let topics = [ReviewsService.events.topic: 3, ReviewsService.events.deadLetterTopic: 1]
        try await withEmbeddedBroker(topics: topics) { broker in
            let kafka = try KafkaTestHarness(
                bootstrapServers: broker.bootstrapServers, name: "reviews", events: ReviewsService.events,
                positionHeaders: ReviewsService.positionHeaders, contracts: contracts
            )
            let reviews = try kafka.projection(ReviewsByBook.self)
            let routes = ServiceRoutes(metrics: kafka.metrics, readiness: kafka.readiness, problemNamespace: ReviewsService.defaults.problemNamespace)
            ReviewsService(reviews: reviews, publisher: kafka.publisher, contracts: contracts).addRoutes(to: routes)
            let book = UUID().uuidString.lowercased()

            // A record no contract describes, already on the topic: replay dead-letters it and goes on.
            _ = try await kafka.producer.send(ProducerRecord(topic: ReviewsService.events.topic, key: book, value: Array("not an event".utf8)))

            try await kafka.run {
                try await Application(router: routes).test(.router) { client in
                    let posted = try await client.execute(
                        uri: "/reviews", method: .post, headers: [.contentType: "application/json", .idempotencyKey: "broker-test"],
                        body: ByteBuffer(string: #"{"bookId": "\#(book)", "rating": 4, "reviewer": "Shevek"}"#)
                    )
                    #expect(posted.status == .created)
                    let written = try #require(posted.headers[ReviewsService.positionHeaders.written])
                    let read = try await client.execute(
                        uri: "/reviews/books/\(book)", method: .get, headers: [ReviewsService.positionHeaders.minimum: written]
                    )
                    #expect(read.status == .ok)
                    try contracts.expectBody(read.body.readableBytesView, conformsTo: RouteTests.bookReviews)
                    let answer = try JSONSerialization.jsonObject(with: Data(buffer: read.body)) as? [String: Any]
                    #expect(answer?["count"] as? Int == 1)
                    #expect(answer?["averageRating"] as? Double == 4)
                }
            }

            // What the service produced is in its contract, and the poison record went to the dead-letter topic.
            let events = try await broker.replay([ReviewsService.events.topic])
            #expect(events.count == 2)
            try contracts.expectEvent(try #require(events.last).value)
            let letters = try await broker.replay([ReviewsService.events.deadLetterTopic])
            #expect(letters.map(\.value) == [Array("not an event".utf8)])
        }
    }
}
