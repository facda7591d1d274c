import Logging
import Metrics

/// Why a record was dead-lettered: a stable code to count and search by, and a detail for people.
public struct DeadLetterReason: Sendable, Equatable {
    public var code: String
    public var detail: String

    public init(code: String, detail: String) {
        self.code = code
        self.detail = detail
    }
}

/// Sends records a consumer cannot handle to the dead-letter topic, so that the consumer can go on.
///
/// The dead letter keeps the record's key, value and headers and adds headers naming where it came from,
/// who gave up on it and why (``DeadLetterPublisher/Header``). Each one is logged and counted in
/// `bookshelf_kafka_deadletters_total{consumer,reason}`.
public struct DeadLetterPublisher: Sendable {
    /// The header names added to a dead letter, as contracts/deadletter/headers.schema.json fixes them.
    public enum Header {
        public static let topic = "dlq-original-topic"
        public static let partition = "dlq-original-partition"
        public static let offset = "dlq-original-offset"
        public static let consumer = "dlq-consumer"
        /// For a person: what was wrong, with the schema violations' JSON pointers when there are some.
        public static let reason = "dlq-reason"
        /// The stable ``DeadLetterReason/code``, for counting and searching.
        public static let reasonCode = "dlq-reason-code"
    }

    public let producer: KafkaProducer
    public let consumer: String
    public let topic: String
    private let logger: Logger

    public init(producer: KafkaProducer, consumer: String, topic: String, logger: Logger) {
        self.producer = producer
        self.consumer = consumer
        self.topic = topic
        self.logger = logger
    }

    /// Dead-letters `record` and returns the dead letter's position. A failure to reach the dead-letter
    /// topic is logged, counted in `bookshelf_kafka_deadletter_failures_total` and thrown.
    @discardableResult
    public func deadLetter(_ record: KafkaRecord, reason: DeadLetterReason) async throws -> RecordPosition {
        let headers = record.headers + [
            KafkaHeader(name: Header.topic, value: record.position.topic),
            KafkaHeader(name: Header.partition, value: String(record.position.partition)),
            KafkaHeader(name: Header.offset, value: String(record.position.offset)),
            KafkaHeader(name: Header.consumer, value: consumer),
            KafkaHeader(name: Header.reason, value: reason.detail),
            KafkaHeader(name: Header.reasonCode, value: reason.code),
        ]
        let metadata: Logger.Metadata = [
            "kafka.record": "\(record.position)", "kafka.consumer": "\(consumer)",
            "deadletter.reason": "\(reason.code)", "deadletter.detail": "\(reason.detail)",
        ]
        do {
            let position = try await producer.send(ProducerRecord(topic: topic, key: record.key, value: record.value, headers: headers))
            Counter(label: "bookshelf_kafka_deadletters_total", dimensions: [("consumer", consumer), ("reason", reason.code)]).increment()
            logger.warning("dead-lettered a record the consumer cannot handle", metadata: metadata.merging(["deadletter.position": "\(position)"]) { $1 })
            return position
        } catch {
            Counter(label: "bookshelf_kafka_deadletter_failures_total", dimensions: [("consumer", consumer)]).increment()
            logger.error("could not dead-letter a record: \(error)", metadata: metadata)
            throw error
        }
    }
}
