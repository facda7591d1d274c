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
        return try await producer.send(validatedRecord(event, key: key))
    }

    /// Sends many events at once (see ``KafkaProducer/send(contentsOf:)``) and returns each one's position
    /// or error, in order. Invalid events fail with their `ContractError` and are not produced; the valid
    /// ones are sent regardless.
    public func send(contentsOf events: [(event: CloudEvent, key: String)]) async -> [Result<RecordPosition, any Error>] {
        var results = [Result<RecordPosition, any Error>?](repeating: nil, count: events.count)
        var valid: [Int] = []
        var records: [ProducerRecord] = []
        for (index, item) in events.enumerated() {
            do throws(ContractError) {
                records.append(try validatedRecord(item.event, key: item.key))
                valid.append(index)
            } catch {
                results[index] = .failure(error)
            }
        }
        for (index, outcome) in zip(valid, await producer.send(contentsOf: records)) {
            results[index] = outcome.mapError { $0 }
        }
        return results.map { $0! }
    }

    private func validatedRecord(_ event: CloudEvent, key: String) throws(ContractError) -> ProducerRecord {
        let json = event.json
        // A valid event's JSON is built once, for validating and for encoding; only an invalid one pays
        // for `validate`, which says why it failed.
        if !registry.violations(ofEvent: json).isEmpty {
            try registry.validate(event)
        }
        return ProducerRecord(topic: topic, key: key, value: json.serializedBytes(), headers: Self.headers)
    }

    /// Every event's headers: made once and shared, not built for every record.
    private static let headers = [KafkaHeader(name: EventNames.contentTypeHeader, value: CloudEvent.mediaType)]
}
