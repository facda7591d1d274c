import Contracts

/// Produces CloudEvents in JSON structured mode: every event is validated against its contract first, and
/// an invalid one is thrown back as a `ContractError`, never produced.
public struct EventProducer: Sendable {
    public let producer: KafkaProducer
    public let registry: ContractRegistry
    public let topic: String

    public init(producer: KafkaProducer, registry: ContractRegistry, topic: String = EventNames.eventsTopic) {
        self.producer = producer
        self.registry = registry
        self.topic = topic
    }

    /// Validates, encodes and sends `event` with record key `key` (the book id, so that one book's events
    /// stay in order), and returns its position once Kafka has acknowledged it.
    ///
    /// Throws `ContractError` (not retryable) for an invalid event and ``KafkaError`` for a failed send.
    public func send(_ event: CloudEvent, key: String) async throws -> RecordPosition {
        try registry.validate(event)
        return try await producer.send(ProducerRecord(
            topic: topic, key: key, value: event.serializedBytes(),
            headers: [KafkaHeader(name: EventNames.contentTypeHeader, value: CloudEvent.mediaType)]))
    }
}
