import Kafka
import Logging

/// A broker failure as the HTTP edge should report it: retryable ones become 503 with `Retry-After`, and
/// the message says what happened without librdkafka's internals.
public struct BrokerError: ServiceError {
    public let code: String
    public let message: String
    public let isRetryable: Bool

    init(_ error: KafkaError) {
        code = "broker-\(error.code.rawValue)"
        isRetryable = error.isRetryable
        switch error.code {
        case .queueFull: message = "Too many events are waiting for the broker; retry shortly."
        case .timedOut: message = "The broker did not acknowledge the event in time; nothing was stored, retry shortly."
        case .shutDown: message = "The service is shutting down; retry against another instance."
        default: message = "The event broker is unavailable; nothing was stored, retry shortly."
        }
    }
}

/// Publishes to `bookshelf.events` (key = book id, `content-type: application/cloudevents+json`) and
/// returns once the broker acknowledged.
public struct KafkaEventPublisher: EventPublisher {
    let producer: KafkaProducer
    let topic: String

    public init(producer: KafkaProducer, topic: String = EmbeddedBroker.eventsTopic) {
        self.producer = producer
        self.topic = topic
    }

    public func publish(_ record: OutgoingRecord) async throws -> EventPosition {
        let headers = [KafkaHeader(name: "content-type", value: EventCodec.contentType)]
        do {
            let position = try await producer.send(ProducerRecord(topic: topic, key: record.key, value: record.value, headers: headers))
            return EventPosition(partition: position.partition, offset: position.offset)
        } catch let error as KafkaError {
            throw BrokerError(error)
        }
    }
}

/// A replay consumer of `bookshelf.events` as an `EventSource`.
public struct KafkaEventSource: EventSource {
    let consumer: KafkaConsumer

    public init(consumer: KafkaConsumer) {
        self.consumer = consumer
    }

    public var batches: any AsyncSequence<[ConsumedRecord], Never> & Sendable {
        consumer.batches.map { batch in
            batch.map { record in
                ConsumedRecord(
                    position: EventPosition(partition: record.position.partition, offset: record.position.offset),
                    key: record.key, value: record.value, headers: record.headers
                )
            }
        }
    }

    public func caughtUp() async -> Bool {
        await consumer.caughtUp()
    }
}

/// Dead letters through the Kafka layer's publisher, which adds the headers naming the source topic,
/// partition, offset, consumer and reason.
public struct KafkaDeadLetterSink: DeadLetterSink {
    let publisher: DeadLetterPublisher
    let topic: String

    public init(publisher: DeadLetterPublisher, topic: String = EmbeddedBroker.eventsTopic) {
        self.publisher = publisher
        self.topic = topic
    }

    public func deadLetter(_ record: ConsumedRecord, consumer: String, reason: UnreadableEvent) async throws {
        let original = KafkaRecord(
            position: RecordPosition(topic: topic, partition: record.position.partition, offset: record.position.offset),
            key: record.key, value: record.value, headers: record.headers, timestamp: nil
        )
        try await publisher.deadLetter(original, reason: DeadLetterReason(code: reason.code, detail: reason.message))
    }
}
