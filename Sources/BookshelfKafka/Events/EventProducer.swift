import BookshelfJSON
import BookshelfContracts

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
        try await send(contentsOf: [(event, key)])[0].get()
    }

    /// Sends many events at once (see ``KafkaProducer/send(contentsOf:)``) and returns each one's position
    /// or error, in order. Invalid events fail with their `ContractError` and are not produced; the valid
    /// ones are sent regardless.
    public func send(contentsOf events: [(event: CloudEvent, key: String)]) async -> [Result<RecordPosition, any Error>] {
        var invalid: [Int: ContractError] = [:]
        let topic = self.topic
        let outcomes = await producer.send(batchOf: events.count, topics: { _ in topic }) { writer in
            // Each event is validated as the JSON tree it is encoded from, and encoded into one buffer that
            // librdkafka copies from: no value or key array per event.
            var text = JSONWriter()
            // Each element is copied out once and taken apart at once: reading `.event` and `.key` off the
            // element (or a tuple-typed copy of it) costs a further copy of the whole event, a retain and a
            // release of each attribute, per read.
            for index in events.indices {
                let (event, key) = events[index]
                do throws(ContractError) {
                    try Self.encode(event, validatingWith: registry, into: &text)
                } catch {
                    invalid[index] = error
                    continue
                }
                Self.withUTF8(of: key) { key in
                    text.withUnsafeBytes { value in
                        writer.produce(at: index, topic: topic, partition: nil, key: key, value: value,
                                       headers: Self.headers)
                    }
                }
            }
        }
        return outcomes.enumerated().map { index, outcome in
            outcome.map { $0.mapError { $0 } } ?? .failure(invalid[index]!)
        }
    }

    /// Validates `event` against its contract and writes its JSON into `text`, replacing what was there:
    /// what each event of a send costs before librdkafka gets it (`bookshelf broker bench encode` times it).
    package static func encode(_ event: CloudEvent, validatingWith registry: ContractRegistry, into text: inout JSONWriter)
        throws(ContractError) {
        // Dropped on return, once its text is written.
        let json = JSONValue.withShortLivedNodes { event.json }
        // Only an invalid event pays for `validate`, which says why it failed.
        if !registry.violations(ofEvent: json).isEmpty { try registry.validate(event) }
        text.removeAll()
        text.write(json)
    }

    /// The key's UTF-8 in place when the string has it contiguously (native strings do), else from a copy.
    private static func withUTF8<R>(of key: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let result = key.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return result }
        var key = key
        return key.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }

    /// Every event's headers, laid out for librdkafka once.
    private static let headers = CHeaderList([KafkaHeader(name: EventNames.contentTypeHeader, value: CloudEvent.mediaType)])
}
