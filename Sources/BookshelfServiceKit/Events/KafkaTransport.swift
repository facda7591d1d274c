import BookshelfContracts
import BookshelfKafka
import Logging

/// A broker failure as the HTTP edge should report it: retryable ones become 503 with `Retry-After`, and
/// the message says what happened without librdkafka's internals.
package struct BrokerError: ServiceError {
    package let code: String
    package let message: String
    package let isRetryable: Bool

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

/// Publishes to the events topic (the record's key, `content-type: application/cloudevents+json`) and
/// returns once the broker acknowledged.
public struct KafkaEventPublisher: EventPublisher {
    let producer: KafkaProducer
    public let topic: String

    package init(producer: KafkaProducer, topic: String) {
        self.producer = producer
        self.topic = topic
    }

    public func publish(_ record: OutgoingRecord) async throws -> EventPosition {
        do {
            let position = try await producer.send(ProducerRecord(topic: topic, key: record.key, value: record.value, headers: Self.headers))
            return EventPosition(partition: position.partition, offset: position.offset)
        } catch let error as KafkaError {
            throw BrokerError(error)
        }
    }

    /// Sends many records at once (see `KafkaProducer.send(contentsOf:)`) and returns each one's position or
    /// error, in order: a batch producer's way to the same records `publish` writes.
    public func publish(contentsOf records: [OutgoingRecord]) async -> [Result<EventPosition, any Error>] {
        let topic = self.topic
        let results = await producer.send(contentsOf: records.map {
            ProducerRecord(topic: topic, key: $0.key, value: $0.value, headers: Self.headers)
        })
        return results.map { result -> Result<EventPosition, any Error> in
            switch result {
            case .success(let position): .success(EventPosition(partition: position.partition, offset: position.offset))
            case .failure(let error): .failure(BrokerError(error))
            }
        }
    }

    /// Structured mode: the record value is the whole CloudEvent.
    private static let headers = [KafkaHeader(name: "content-type", value: CloudEvent.mediaType)]
}

/// A replay consumer of the events topic as an `EventSource`.
package struct KafkaEventSource: EventSource {
    let consumer: KafkaConsumer

    package init(consumer: KafkaConsumer) {
        self.consumer = consumer
    }

    package var batches: any AsyncSequence<[ConsumedRecord], Never> & Sendable {
        consumer.batches.map { batch in
            batch.map { record in
                ConsumedRecord(
                    position: EventPosition(partition: record.position.partition, offset: record.position.offset),
                    key: record.key, value: record.value, headers: record.headers
                )
            }
        }
    }

    package func caughtUp() async -> Bool {
        await consumer.caughtUp()
    }

    package var recordsAtStart: Int? { consumer.recordsAtStart }
}

/// Dead letters through the Kafka layer's publisher, which adds the headers naming the source topic,
/// partition, offset, consumer and reason.
///
/// A replaying view meets the same unreadable records on every start. So the first time this sink is asked
/// for a dead letter it reads the dead-letter topic once, and from then on skips the records that this
/// consumer (the publisher's `dlq-consumer`, the service name) dead-lettered before: restarts and replicas
/// add no duplicates. When that topic cannot be read within `historyTimeout`, what was read by then counts
/// and the rest is dead-lettered again: a duplicate is better than a record nobody sees.
package struct KafkaDeadLetterSink: DeadLetterSink {
    let publisher: DeadLetterPublisher
    let topic: String
    private let history: DeadLetterHistory

    package init(
        publisher: DeadLetterPublisher, bootstrapServers: String, properties: [String: String] = [:],
        topic: String, historyTimeout: Duration = .seconds(10), logger: Logger
    ) {
        self.publisher = publisher
        self.topic = topic
        history = DeadLetterHistory(
            bootstrapServers: bootstrapServers, properties: properties, deadLetterTopic: publisher.topic, sourceTopic: topic,
            consumer: publisher.consumer, timeout: historyTimeout, logger: logger
        )
    }

    package func deadLetter(_ record: ConsumedRecord, consumer: String, reason: UnreadableEvent) async throws {
        guard await history.isNew(record.position) else { return }
        let original = KafkaRecord(
            position: RecordPosition(topic: topic, partition: record.position.partition, offset: record.position.offset),
            key: record.key, value: record.value, headers: record.headers, timestamp: nil
        )
        try await publisher.deadLetter(original, reason: DeadLetterReason(code: reason.code, detail: reason.message))
        await history.record(record.position)
    }
}

/// The positions of the source topic that one consumer has dead-lettered, read from the dead-letter topic
/// on first use.
actor DeadLetterHistory {
    private let bootstrapServers: String
    private let properties: [String: String]
    private let deadLetterTopic: String
    private let sourceTopic: String
    private let consumer: String
    private let timeout: Duration
    private let logger: Logger
    private var positions: Set<EventPosition>?

    init(
        bootstrapServers: String, properties: [String: String], deadLetterTopic: String, sourceTopic: String, consumer: String,
        timeout: Duration, logger: Logger
    ) {
        self.bootstrapServers = bootstrapServers
        self.properties = properties
        self.deadLetterTopic = deadLetterTopic
        self.sourceTopic = sourceTopic
        self.consumer = consumer
        self.timeout = timeout
        self.logger = logger
    }

    /// Whether `position` has not been dead-lettered by this consumer yet.
    func isNew(_ position: EventPosition) async -> Bool {
        if positions == nil {
            let read = await readTopic()
            // Another caller may have read it meanwhile (actors are reentrant); either result will do.
            positions = positions ?? read
        }
        return positions?.contains(position) != true
    }

    func record(_ position: EventPosition) {
        positions?.insert(position)
    }

    /// Replays the dead-letter topic up to where it ended at start (or until `timeout`) and keeps the
    /// positions whose dead letters name this consumer and the source topic.
    private func readTopic() async -> Set<EventPosition> {
        let reader: KafkaConsumer
        do {
            reader = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(
                    bootstrapServers: bootstrapServers, topics: [deadLetterTopic], mode: .replay, name: "\(consumer)-deadletter-history",
                    properties: properties
                ),
                logger: logger
            )
        } catch {
            logger.warning("cannot read the dead-letter topic; records dead-lettered before may be dead-lettered again", metadata: [
                "error": .string(String(describing: error)),
            ])
            return []
        }
        let (consumer, sourceTopic) = (self.consumer, self.sourceTopic)
        let collecting = Task {
            var found: Set<EventPosition> = []
            for await letter in reader.records {
                // The last of a name: the dead letter's own headers follow the original record's.
                func header(_ name: String) -> String? { letter.headers.last { $0.name == name }?.stringValue }
                guard header(DeadLetterPublisher.Header.consumer) == consumer,
                      header(DeadLetterPublisher.Header.topic) == sourceTopic,
                      let partition = header(DeadLetterPublisher.Header.partition).flatMap({ Int32($0) }),
                      let offset = header(DeadLetterPublisher.Header.offset).flatMap({ Int64($0) }) else { continue }
                found.insert(EventPosition(partition: partition, offset: offset))
            }
            return found
        }
        let timeout = self.timeout
        let complete = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await reader.caughtUp() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            // Ends the records (and a caughtUp() still waiting), so the other child can finish too.
            await reader.shutdown()
            group.cancelAll()
            return first
        }
        let found = await collecting.value
        if !complete {
            logger.warning("could not read the whole dead-letter topic in time; records dead-lettered before may be dead-lettered again", metadata: [
                "topic": .string(deadLetterTopic), "timeout": .stringConvertible(timeout),
            ])
        }
        return found
    }
}
