import BookshelfServiceKit
import FoundationEssentials
import Synchronization

/// An in-process stand-in for the events topic, for tests of services and of what is built on this kit:
/// partitioned by key like Kafka (so positions look real), with replay from the start, live following,
/// "caught up" as the Kafka consumer reports it, dead letters kept for inspection, and a switch that makes
/// publishing fail as a broker outage would.
public final class InMemoryEventLog: EventPublisher, DeadLetterSink, Sendable {
    public struct DeadLetter: Sendable, Equatable {
        public var record: ConsumedRecord
        public var consumer: String
        public var reason: UnreadableEvent
    }

    private struct State {
        var records: [ConsumedRecord] = []
        var nextOffset: [Int64]
        var readers: [Int: CheckedContinuation<Void, Never>] = [:]
        var failure: (any ServiceError)?
        var deadLetters: [DeadLetter] = []
        var closed = false
    }

    private let state: Mutex<State>
    public let partitions: Int32

    public init(partitions: Int32 = 3) {
        self.partitions = partitions
        state = Mutex(State(nextOffset: Array(repeating: 0, count: Int(partitions))))
    }

    /// Makes every `publish` fail with `error` until called with nil.
    public func failPublishing(with error: (any ServiceError)?) {
        state.withLock { $0.failure = error }
    }

    public func publish(_ record: OutgoingRecord) async throws -> EventPosition {
        try append(key: record.key, value: record.value)
    }

    /// Appends a record as if some producer had written it (e.g. a poison message); returns its position.
    @discardableResult
    public func append(key: String, value: [UInt8]) throws -> EventPosition {
        let (position, waiting) = try state.withLock { state throws -> (EventPosition, [CheckedContinuation<Void, Never>]) in
            if let failure = state.failure { throw failure }
            let partition = Int32(Self.fnv1a(key) % UInt64(partitions))
            let position = EventPosition(partition: partition, offset: state.nextOffset[Int(partition)])
            state.nextOffset[Int(partition)] += 1
            state.records.append(ConsumedRecord(position: position, key: Array(key.utf8), value: value))
            defer { state.readers = [:] }
            return (position, Array(state.readers.values))
        }
        waiting.forEach { $0.resume() }
        return position
    }

    public func deadLetter(_ record: ConsumedRecord, consumer: String, reason: UnreadableEvent) async throws {
        state.withLock { $0.deadLetters.append(DeadLetter(record: record, consumer: consumer, reason: reason)) }
    }

    public var deadLetters: [DeadLetter] { state.withLock { $0.deadLetters } }

    public var count: Int { state.withLock { $0.records.count } }

    /// Every record, in the order appended: what a test checks a service wrote.
    public var records: [ConsumedRecord] { state.withLock { $0.records } }

    /// Every record's position, in the order appended.
    public var positions: [EventPosition] { state.withLock { $0.records.map(\.position) } }

    /// The offset of the last record of each partition that has one.
    public var lastPositions: PositionVector {
        state.withLock { state in
            PositionVector(Dictionary(uniqueKeysWithValues: state.nextOffset.enumerated().filter { $0.element > 0 }.map { (Int32($0.offset), $0.element - 1) }))
        }
    }

    /// Ends every reader's sequence, as a consumer shutting down does.
    public func close() {
        let waiting = state.withLock { state in
            state.closed = true
            defer { state.readers = [:] }
            return Array(state.readers.values)
        }
        waiting.forEach { $0.resume() }
    }

    /// A new reader from the beginning of the log.
    public func makeSource() -> any EventSource {
        Reader(log: self, endAtStart: count)
    }

    /// The records from `index` on that exist now, waiting for one when there are none yet; empty once
    /// the log is closed.
    fileprivate func records(from index: Int, reader: Int) async -> [ConsumedRecord] {
        while true {
            let next: [ConsumedRecord]? = state.withLock { state in
                if index < state.records.count { return Array(state.records[index...]) }
                return state.closed ? [] : nil
            }
            if let next { return next }
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    if index < state.records.count || state.closed { return true }
                    state.readers[reader] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        }
    }

    private static func fnv1a(_ key: String) -> UInt64 {
        key.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    private final class Reader: EventSource, Sendable {
        private struct Progress {
            var requested = 0
            var caughtUp = false
            var waiters: [CheckedContinuation<Bool, Never>] = []
        }

        let log: InMemoryEventLog
        let endAtStart: Int
        let id = Int.random(in: 0..<Int.max)
        private let progress = Mutex(Progress())

        init(log: InMemoryEventLog, endAtStart: Int) {
            self.log = log
            self.endAtStart = endAtStart
            if endAtStart == 0 { progress.withLock { $0.caughtUp = true } }
        }

        var batches: any AsyncSequence<[ConsumedRecord], Never> & Sendable { Batches(reader: self) }

        var recordsAtStart: Int? { endAtStart }

        func lastPositions() async -> PositionVector? { log.lastPositions }

        func caughtUp() async -> Bool {
            await withCheckedContinuation { continuation in
                let done = progress.withLock { progress -> Bool in
                    if progress.caughtUp { return true }
                    progress.waiters.append(continuation)
                    return false
                }
                if done { continuation.resume(returning: true) }
            }
        }

        /// Asking for the records from `index` on means records before it are processed.
        func next(_ index: Int) async -> [ConsumedRecord]? {
            let released = progress.withLock { progress -> [CheckedContinuation<Bool, Never>] in
                progress.requested = index
                guard !progress.caughtUp, index >= endAtStart else { return [] }
                progress.caughtUp = true
                defer { progress.waiters = [] }
                return progress.waiters
            }
            released.forEach { $0.resume(returning: true) }
            let records = await log.records(from: index, reader: id)
            if records.isEmpty {
                let pending = progress.withLock { progress in
                    defer { progress.waiters = [] }
                    return progress.waiters
                }
                pending.forEach { $0.resume(returning: false) }
                return nil
            }
            return records
        }

        struct Batches: AsyncSequence, Sendable {
            let reader: Reader

            func makeAsyncIterator() -> Iterator { Iterator(reader: reader) }

            struct Iterator: AsyncIteratorProtocol {
                let reader: Reader
                var index = 0

                mutating func next() async -> [ConsumedRecord]? {
                    guard let batch = await reader.next(index) else { return nil }
                    index += batch.count
                    return batch
                }
            }
        }
    }
}
