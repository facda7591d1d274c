import BookshelfKafka
import BookshelfTesting
import Testing

@Suite struct EmbeddedBrokerTestingTests {
    struct Planned: Error {}

    @Test func theBrokerHoldsTheTopicsWhileTheBodyRunsAndIsShutDownAfter() async throws {
        let (kept, partitions) = try await withEmbeddedBroker(topics: ["reviews.events": 3, "reviews.deadletter": 1]) { broker in
            let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers), logger: testLogger(label: "test"))
            var partitions: Set<Int32> = []
            for index in 0..<30 {
                let position = try await producer.send(ProducerRecord(topic: "reviews.events", key: "book-\(index)", value: Array("\(index)".utf8)))
                partitions.insert(position.partition)
            }
            let letter = try await producer.send(ProducerRecord(topic: "reviews.deadletter", key: nil, value: [1]))
            #expect(letter.partition == 0)
            await producer.shutdown()
            let replayed = try await broker.replay(["reviews.events"])
            #expect(Set(replayed.map { String(decoding: $0.value, as: UTF8.self) }) == Set((0..<30).map(String.init)))
            return (broker, partitions)
        }
        // Thirty keys spread over every partition the topic was created with, and no other.
        #expect(partitions == [0, 1, 2])
        let error = try #require(throws: KafkaError.self) { try kept.createTopic("late", partitions: 1) }
        #expect(error.code == .shutDown)
    }

    @Test func theBrokerIsShutDownWhenTheBodyThrows() async throws {
        let escaped = EscapedBroker()
        await #expect(throws: Planned.self) {
            try await withEmbeddedBroker(topics: ["t": 1]) { broker in
                escaped.broker = broker
                throw Planned()
            }
        }
        let broker = try #require(escaped.broker)
        #expect(throws: KafkaError.self) { try broker.createTopic("late", partitions: 1) }
    }
}

/// Carries the broker out of a body that throws.
final class EscapedBroker: @unchecked Sendable {
    var broker: EmbeddedBroker?
}
