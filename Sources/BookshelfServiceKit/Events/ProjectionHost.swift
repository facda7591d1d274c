import BookshelfContracts
import FoundationEssentials
import Logging
import ServiceLifecycle
import Synchronization

/// Runs a projection over an event source: replays the topic, decodes each record with
/// `EventCodec<P.Event>`, applies it once, dead-letters what it cannot read, tracks the positions it has
/// applied, says when replay has caught up, and lets readers wait for a position (read-your-writes). Its
/// `run()` follows the topic until shutdown.
public final class ProjectionHost<P: Projection>: Service, Sendable {
    private struct State {
        var projection = P()
        var applied = PositionVector()
        var isCaughtUp = false
        var waiters: [UUID: (target: PositionVector, continuation: CheckedContinuation<Bool, Never>)] = [:]
        /// Waits that timed out or were cancelled before they registered, so they never register.
        var abandoned: Set<UUID> = []
    }

    private let state = Mutex(State())
    /// The task of the newest batch handed over; it finishes only after every batch before it.
    private let newestBatch = Mutex<Task<Void, Never>?>(nil)
    private let source: any EventSource
    private let deadLetters: any DeadLetterSink
    private let readiness: Readiness
    private let metrics: ServiceMetrics
    private let consumer: String
    private let codec: EventCodec<P.Event>
    private let logger: Logger
    private let onCaughtUp: @Sendable () -> Void
    /// The headers of read-your-writes for what this host answers: a view's answer carries the positions
    /// it reflects in `positionHeaders.written`, and a read asks for positions in `positionHeaders.minimum`.
    public let positionHeaders: PositionHeaders

    /// The readiness condition this host registers.
    package static var readinessCondition: String { "replay" }

    /// Every record is checked against `contracts` before it is applied; what they refuse is dead-lettered.
    /// `onCaughtUp` runs once, when replay has caught up and readiness says so: the place for process-wide
    /// housekeeping such as handing the replay's freed memory back to the system.
    public init(
        consumer: String, source: any EventSource, deadLetters: any DeadLetterSink, contracts: ContractRegistry,
        readiness: Readiness, metrics: ServiceMetrics, positionHeaders: PositionHeaders, logger: Logger,
        onCaughtUp: @escaping @Sendable () -> Void = {}
    ) {
        self.consumer = consumer
        self.codec = EventCodec(contracts: contracts)
        self.positionHeaders = positionHeaders
        self.onCaughtUp = onCaughtUp
        self.source = source
        self.deadLetters = deadLetters
        self.readiness = readiness
        self.metrics = metrics
        self.logger = logger
        readiness.register(Self.readinessCondition, waitingFor: "reaching the broker and replaying the events topic")
    }

    /// Applies records until the source ends, then stays until its own graceful shutdown: a ServiceGroup
    /// treats a service that returns before being asked as a failure. List the consumer after this host in
    /// the group, so the consumer closes first and this loop drains.
    ///
    /// Before the first batch the projection makes room for every record the topic held at start.
    /// Batches are pipelined: each is decoded by its own task as soon as it arrives, while the batch before
    /// it is still being applied, and applied only after that one (so in the topic's order). At most
    /// `batchesInFlight` are. The source counts a batch as processed once the next is asked for, which can be
    /// before it is applied, so readiness also waits for the newest batch's task.
    public func run() async throws {
        let started = ContinuousClock.now
        await withDiscardingTaskGroup { group in
            group.addTask {
                guard await self.source.caughtUp() else { return }
                await self.newestBatch.withLock { $0 }?.value
                self.announceCaughtUp(after: ContinuousClock.now - started)
            }
            var inFlight: [Task<Void, Never>] = []
            var isFirst = true
            for await batch in source.batches {
                if isFirst, let count = source.recordsAtStart {
                    state.withLock { $0.projection.reserveCapacity(forRecords: count) }
                }
                isFirst = false
                let prior = inFlight.last
                let task = Task { await self.consume(batch, after: prior) }
                newestBatch.withLock { $0 = task }
                inFlight.append(task)
                if inFlight.count == Self.batchesInFlight { await inFlight.removeFirst().value }
            }
            for task in inFlight { await task.value }
            group.cancelAll()
        }
        try? await gracefulShutdown()
    }

    /// With two, the next batch could not start decoding until the one before had been applied, so a slow
    /// apply left a core without work; a third lets one more be decoded ahead. Each holds at most a
    /// consumer batch (256 records).
    private static var batchesInFlight: Int { 3 }

    /// Decodes a batch, waits for the batch before it (`prior`) to be done, then applies each record once,
    /// dead-letters what it cannot read, and records every position whatever the outcome, since a record
    /// that was dead-lettered is handled as much as one that was applied.
    private func consume(_ batch: [ConsumedRecord], after prior: Task<Void, Never>?) async {
        let decoded = await Self.decode(batch, codec)
        await prior?.value
        var outcome = BatchOutcome(types: codec.types.count)
        state.withLock { state in
            // Records and results are reached by index, not iterated: an iterator hands out copies, and a copy of
            // a record or an event retains and later releases each of its buffers and strings, per event.
            var recordIndex = batch.startIndex
            for half in decoded {
                for resultIndex in half.indices {
                    let record = recordIndex
                    recordIndex += 1
                    switch half[resultIndex] {
                    case .success(let (event, type)):
                        switch state.projection.apply(event) {
                        case .applied:
                            outcome.applied[type] += 1
                            outcome.newest = event.time
                        case .duplicate:
                            break
                        case .rejected(let reason):
                            outcome.rejected.append((batch[record], reason))
                        }
                    case .failure(let reason):
                        outcome.rejected.append((batch[record], reason))
                    }
                }
            }
        }
        for (type, count) in zip(codec.types, outcome.applied) where count > 0 {
            metrics.eventsConsumed(type: type, count: count)
        }
        for (record, reason) in outcome.rejected {
            metrics.eventDeadLettered(reason: reason.code)
            logger.warning("dead-lettering a record", metadata: [
                "consumer": .string(consumer), "position": .stringConvertible(record.position),
                "reason": .string(reason.code), "detail": .string(reason.message),
            ])
            do {
                try await deadLetters.deadLetter(record, consumer: consumer, reason: reason)
            } catch {
                logger.error("could not dead-letter a record; it is skipped", metadata: [
                    "position": .stringConvertible(record.position), "error": .string(String(describing: error)),
                ])
            }
        }
        advance(over: batch)
        if let newest = outcome.newest { metrics.consumerLag(seconds: Date().timeIntervalSince(newest)) }
    }

    /// Counted by the index of the event's type in `codec.types` rather than in a dictionary keyed by type
    /// name: that hashed a string per event inside the lock every batch waits for.
    private struct BatchOutcome {
        var applied: [Int]
        var newest: Date?
        var rejected: [(record: ConsumedRecord, reason: UnreadableEvent)] = []

        init(types: Int) {
            applied = Array(repeating: 0, count: types)
        }
    }

    private typealias Decoded = EventCodec<P.Event>.Decoded

    /// Decoding (parsing, checking and reading the JSON) is most of a replay's work and needs nothing but
    /// the bytes: a large batch is decoded in two halves at once on the cooperative pool's threads. The
    /// halves stay apart (joined lazily when applied): concatenating them copied every event.
    private static func decode(_ batch: [ConsumedRecord], _ codec: EventCodec<P.Event>) async -> [[Decoded]] {
        guard batch.count >= parallelDecodingThreshold else { return [decode(batch[...], codec)] }
        let middle = batch.count / 2
        async let second = decode(batch[middle...], codec)
        let first = decode(batch[..<middle], codec)
        return [first, await second]
    }

    /// Through the event type's own `decode`: specialized where the type is declared (see `ServiceEvent`).
    private static func decode(_ records: ArraySlice<ConsumedRecord>, _ codec: EventCodec<P.Event>) -> [Decoded] {
        P.Event.decode(records, with: codec)
    }

    /// Below this many records, handing half to another thread costs more than it saves.
    private static var parallelDecodingThreshold: Int { 64 }

    /// Takes the batch itself: through a lazy map of positions this was generic code that looked up type
    /// metadata for every record.
    private func advance(over batch: [ConsumedRecord]) {
        let released = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            // A batch holds long runs from one partition: one vector update per run, not per record.
            var run: EventPosition?
            for index in batch.indices {
                let position = batch[index].position
                if let current = run, current.partition == position.partition {
                    if position.offset > current.offset { run = position }
                    continue
                }
                if let current = run { state.applied.advance(to: current) }
                run = position
            }
            if let run { state.applied.advance(to: run) }
            guard !state.waiters.isEmpty else { return [] }
            var released: [CheckedContinuation<Bool, Never>] = []
            for (id, waiter) in state.waiters where state.applied.covers(waiter.target) {
                released.append(waiter.continuation)
                state.waiters[id] = nil
            }
            return released
        }
        released.forEach { $0.resume(returning: true) }
    }



    /// Logs how long the replay took and how many records it read: on the embedded broker a topic written
    /// one record per batch replays slowly (see docs/kafka.md), and this line is where a user sees it.
    private func announceCaughtUp(after duration: Duration) {
        let applied = state.withLock { state in
            state.projection.settle()
            state.isCaughtUp = true
            return state.applied
        }
        readiness.set(Self.readinessCondition, met: true, detail: "caught up at \(applied.description.isEmpty ? "an empty topic" : applied.description)")
        logger.info("replay caught up", metadata: [
            "consumer": .string(consumer), "position": .stringConvertible(applied),
            "records": .stringConvertible(source.recordsAtStart ?? 0),
            "duration": .stringConvertible(duration),
        ])
        onCaughtUp()
    }


    /// True once the replay has applied everything the topic held when it started.
    public var isCaughtUp: Bool { state.withLock { $0.isCaughtUp } }

    /// Reads the projection and the positions it reflects, consistently.
    public func read<T>(_ body: (P, PositionVector) throws -> T) rethrows -> T {
        try state.withLock { try body($0.projection, $0.applied) }
    }

    /// Changes the projection outside the event flow (an aggregate recording its own acknowledged write).
    public func update<T>(_ body: (inout P) throws -> T) rethrows -> T {
        try state.withLock { try body(&$0.projection) }
    }

    /// The offset of the newest record of each partition of the log now (nil when the log cannot say).
    package func lastPositionsOfLog() async -> PositionVector? {
        await source.lastPositions()
    }

    /// Whether every position in `target` has been applied.
    package func hasApplied(_ target: PositionVector) -> Bool {
        state.withLock { $0.applied.covers(target) }
    }

    /// Waits until every position in `target` has been applied, at most `timeout`; false on timeout.
    package func waitUntilApplied(_ target: PositionVector, timeout: Duration) async -> Bool {
        if state.withLock({ $0.applied.covers(target) }) { return true }
        let id = UUID()
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.release(id, result: false)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let immediate = state.withLock { state -> Bool? in
                    if state.applied.covers(target) { return true }
                    if state.abandoned.remove(id) != nil { return false }
                    state.waiters[id] = (target, continuation)
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            self.release(id, result: false)
        }
    }

    private func release(_ id: UUID, result: Bool) {
        let waiter = state.withLock { state in
            let waiter = state.waiters.removeValue(forKey: id)
            if waiter == nil { state.abandoned.insert(id) }
            return waiter
        }
        waiter?.continuation.resume(returning: result)
    }
}
