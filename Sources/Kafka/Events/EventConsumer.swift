import Contracts
import Logging

/// A decoded, validated event with the record it came from.
public struct ConsumedEvent: Sendable {
    public let event: CloudEvent
    public let record: KafkaRecord

    public var position: RecordPosition { record.position }
}

/// CloudEvents from a ``KafkaConsumer``: each record is parsed, validated against the contract its
/// `dataschema` names and decoded. A record that is not JSON, names an unknown `type` or `dataschema`, or
/// breaks its schema goes to the dead-letter topic, and the stream goes on with the next record.
public struct EventConsumer: Sendable {
    public let consumer: KafkaConsumer
    public let registry: ContractRegistry
    public let deadLetters: DeadLetterPublisher

    public init(consumer: KafkaConsumer, registry: ContractRegistry, deadLetters: DeadLetterPublisher) {
        self.consumer = consumer
        self.registry = registry
        self.deadLetters = deadLetters
    }

    /// The valid events, in order per partition. Read it from one task only. Records are decoded a fetched
    /// batch at a time (on two cores), and a batch counts as processed (see ``KafkaConsumer``) once the
    /// reader asks for the event after its last one.
    public var events: EventStream { EventStream(consumer: self) }

    /// See ``KafkaConsumer/caughtUp()``; dead-lettered records count as processed.
    public func caughtUp() async -> Bool { await consumer.caughtUp() }

    public var isCaughtUp: Bool { consumer.isCaughtUp }

    /// Dead-letters an event the reader cannot apply (a view's rule it breaks, say). Failing to reach the
    /// dead-letter topic is logged and counted by ``DeadLetterPublisher``; the reader goes on either way.
    public func deadLetter(_ event: ConsumedEvent, reason: DeadLetterReason) async {
        _ = try? await deadLetters.deadLetter(event.record, reason: reason)
    }

    public struct EventStream: AsyncSequence, Sendable {
        public typealias Element = ConsumedEvent
        let consumer: EventConsumer

        public struct AsyncIterator: AsyncIteratorProtocol {
            let consumer: EventConsumer
            var batches: KafkaConsumerBatches.AsyncIterator
            /// The current batch, decoded ahead; records are handed out (or dead-lettered) in order.
            var batch: [KafkaRecord] = []
            var decoded: [Result<CloudEvent, ContractError>] = []
            var index = 0

            public mutating func next() async -> ConsumedEvent? {
                while true {
                    while index < batch.count {
                        let record = batch[index]
                        let outcome = decoded[index]
                        index += 1
                        switch outcome {
                        case .success(let event):
                            return ConsumedEvent(event: event, record: record)
                        case .failure(let error):
                            _ = try? await consumer.deadLetters.deadLetter(record, reason: DeadLetterReason(error))
                        }
                    }
                    // Asking for the next batch marks the whole previous one processed: every record of it
                    // has been handed out or dead-lettered by now.
                    guard let next = await batches.next() else { return nil }
                    decoded = await Self.decode(next, registry: consumer.registry)
                    batch = next
                    index = 0
                }
            }

            /// Parses, validates and decodes a batch, its two halves at once: nearly all of a replay's
            /// time is this work, and each record's outcome depends on that record alone.
            static func decode(_ records: [KafkaRecord], registry: ContractRegistry) async -> [Result<CloudEvent, ContractError>] {
                let decode: @Sendable (ArraySlice<KafkaRecord>) -> [Result<CloudEvent, ContractError>] = { slice in
                    slice.map { record in Result { () throws(ContractError) in try registry.decodeEvent(record.value) } }
                }
                guard records.count >= 64 else { return decode(records[...]) }
                let middle = records.count / 2
                async let first = decode(records[..<middle])
                let second = decode(records[middle...])
                // Appending to the first half's array instead of concatenating into a third saves one large
                // allocation per batch.
                var all = await first
                all.append(contentsOf: second)
                return all
            }
        }

        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(consumer: consumer, batches: consumer.consumer.batches.makeAsyncIterator())
        }
    }
}

extension DeadLetterReason {
    /// Why a record failed its contract, with every violation's JSON pointers for the person who reads it.
    public init(_ error: ContractError) {
        let code = switch error.code {
        case .notJSON: "not-json"
        case .unknownDataSchema: "unknown-type-or-dataschema"
        case .contractViolation: "contract-violation"
        default: error.code.rawValue
        }
        let violations = error.violations.map { "\($0.instanceLocation): \($0.message) (\($0.keywordLocation))" }
        self.init(code: code, detail: ([error.message] + violations).joined(separator: "; "))
    }
}
