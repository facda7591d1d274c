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

    /// The valid events, in order per partition. Read it from one task only; asking for the next event
    /// marks the previous one as processed (see ``KafkaConsumer``).
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
            var records: KafkaConsumerRecords.AsyncIterator

            public mutating func next() async -> ConsumedEvent? {
                while let record = await records.next() {
                    do throws(ContractError) {
                        return ConsumedEvent(event: try consumer.registry.decodeEvent(record.value), record: record)
                    } catch {
                        _ = try? await consumer.deadLetters.deadLetter(record, reason: DeadLetterReason(error))
                    }
                }
                return nil
            }
        }

        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(consumer: consumer, records: consumer.consumer.records.makeAsyncIterator())
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
