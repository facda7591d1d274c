import BookshelfContracts
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
            /// The current batch; its records are handed out (or dead-lettered) in order.
            var batch: [KafkaRecord] = []
            /// The current batch's outcomes, decoded ahead.
            let decoded = DecodedBatch()
            var index = 0

            public mutating func next() async -> ConsumedEvent? {
                while true {
                    while index < batch.count {
                        let outcome = decoded.take(index)
                        let record = batch[index]
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
                    batch = []
                    guard let next = await batches.next() else { return nil }
                    await decoded.decode(next, registry: consumer.registry)
                    batch = next
                    index = 0
                }
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

/// A batch's outcomes in one buffer that every batch reuses: an array per batch cost a large allocation
/// (which makes glibc consolidate its free lists), and handing out an element copied it. Outcomes are
/// moved in by ``decode(_:registry:)`` and moved out by ``take(_:)``, each exactly once.
final class DecodedBatch: @unchecked Sendable {
    typealias Outcome = Result<CloudEvent, ContractError>

    private var storage: UnsafeMutablePointer<Outcome>?
    private var capacity = 0
    /// Outcomes `taken..<filled` are initialized.
    private var taken = 0
    private var filled = 0

    /// Parses, validates and decodes `records`, its two halves at once: nearly all of a replay's time is
    /// this work, and each record's outcome depends on that record alone. Outcomes not yet taken are
    /// dropped first.
    func decode(_ records: [KafkaRecord], registry: ContractRegistry) async {
        reset(capacity: records.count)
        guard let storage else { return }
        let slot = UnsafeSendablePointer(storage)
        let fill: @Sendable (Range<Int>) -> Void = { range in
            for index in range {
                (slot.pointer + index).initialize(to: Result { () throws(ContractError) in try registry.decodeEvent(records[index].value) })
            }
        }
        if records.count >= 64 {
            let middle = records.count / 2
            async let first: Void = fill(0..<middle)
            fill(middle..<records.count)
            await first
        } else {
            fill(0..<records.count)
        }
        filled = records.count
    }

    /// Moves out the outcome of record `index` of the decoded batch; each is taken once, in order.
    func take(_ index: Int) -> Outcome {
        precondition(index == taken && index < filled, "outcomes are taken once each, in order")
        taken += 1
        return (storage! + index).move()
    }

    private func reset(capacity needed: Int) {
        if let storage, filled > taken { (storage + taken).deinitialize(count: filled - taken) }
        taken = 0
        filled = 0
        if needed > capacity {
            storage?.deallocate()
            storage = .allocate(capacity: needed)
            capacity = needed
        }
    }

    deinit {
        reset(capacity: 0)
        storage?.deallocate()
    }
}

/// A pointer that the two decoding tasks write through, each to its own range of outcomes.
private struct UnsafeSendablePointer<Pointee>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Pointee>
    init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = pointer }
}
