import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Runs a projection over an event source: replays the topic, applies each record once, dead-letters what
/// it cannot read, tracks the positions it has applied, says when replay has caught up, and lets readers
/// wait for a position (read-your-writes). Its `run()` follows the topic until shutdown.
public final class ProjectionHost<P: Projection>: Service, Sendable {
    private struct State {
        var projection = P()
        var applied = PositionVector()
        var caughtUpTarget: PositionVector?
        var isCaughtUp = false
        var waiters: [UUID: (target: PositionVector, continuation: CheckedContinuation<Bool, Never>)] = [:]
        /// Waits that timed out or were cancelled before they registered, so they never register.
        var abandoned: Set<UUID> = []
    }

    private let state = Mutex(State())
    private let source: any EventSource
    private let deadLetters: any DeadLetterSink
    private let readiness: Readiness
    private let metrics: ServiceMetrics
    private let consumer: String
    private let logger: Logger

    /// The readiness condition this host registers.
    public static var readinessCondition: String { "replay" }

    public init(
        consumer: String, source: any EventSource, deadLetters: any DeadLetterSink,
        readiness: Readiness, metrics: ServiceMetrics, logger: Logger
    ) {
        self.consumer = consumer
        self.source = source
        self.deadLetters = deadLetters
        self.readiness = readiness
        self.metrics = metrics
        self.logger = logger
        readiness.register(Self.readinessCondition, waitingFor: "replaying the events topic")
    }

    public func run() async throws {
        let stream = source.replay()
        try await withGracefulShutdownHandler {
            var sinceLagUpdate = 0
            for try await item in stream {
                switch item {
                case .record(let record):
                    await consume(record)
                    sinceLagUpdate += 1
                    if sinceLagUpdate >= 1024 {
                        sinceLagUpdate = 0
                        updateLag()
                    }
                case .end(let end):
                    reachedEnd(end)
                }
            }
        } onGracefulShutdown: {
            self.logger.debug("projection stops following the topic", metadata: ["consumer": .string(self.consumer)])
        }
    }

    /// Applies one record: decoded, applied once, its position recorded whatever the outcome, since a record
    /// that was dead-lettered is handled as much as one that was applied.
    func consume(_ record: ConsumedRecord) async {
        let outcome: ApplyOutcome
        let event: BookEvent?
        do {
            let decoded = try EventCodec.decode(record.value)
            event = decoded
            outcome = state.withLock { $0.projection.apply(decoded) }
        } catch {
            event = nil
            outcome = .rejected(error)
        }
        switch outcome {
        case .applied:
            if let event { metrics.eventConsumed(type: event.type) }
        case .duplicate:
            break
        case .rejected(let reason):
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
        advance(to: record.position)
    }

    private func advance(to position: EventPosition) {
        let (released, caughtUpNow) = state.withLock { state -> ([CheckedContinuation<Bool, Never>], Bool) in
            state.applied.advance(to: position)
            var released: [CheckedContinuation<Bool, Never>] = []
            for (id, waiter) in state.waiters where state.applied.covers(waiter.target) {
                released.append(waiter.continuation)
                state.waiters[id] = nil
            }
            return (released, markCaughtUpIfDone(&state))
        }
        released.forEach { $0.resume(returning: true) }
        if caughtUpNow { announceCaughtUp() }
    }

    private func reachedEnd(_ end: PositionVector) {
        let caughtUpNow = state.withLock { state -> Bool in
            if state.caughtUpTarget == nil { state.caughtUpTarget = end }
            return markCaughtUpIfDone(&state)
        }
        metrics.consumerLag(state.withLock { $0.applied.lag(behind: end) })
        if caughtUpNow { announceCaughtUp() }
    }

    private func markCaughtUpIfDone(_ state: inout State) -> Bool {
        guard !state.isCaughtUp, let target = state.caughtUpTarget, state.applied.covers(target) else { return false }
        state.isCaughtUp = true
        return true
    }

    private func announceCaughtUp() {
        let applied = state.withLock { $0.applied }
        readiness.set(Self.readinessCondition, met: true, detail: "caught up at \(applied.description.isEmpty ? "an empty topic" : applied.description)")
        logger.info("replay caught up", metadata: ["consumer": .string(consumer), "position": .stringConvertible(applied)])
        metrics.consumerLag(0)
    }

    private func updateLag() {
        let lag = state.withLock { state in state.caughtUpTarget.map { state.applied.lag(behind: $0) } }
        if let lag { metrics.consumerLag(lag) }
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

    /// Waits until every position in `target` has been applied, at most `timeout`; false on timeout.
    public func waitUntilApplied(_ target: PositionVector, timeout: Duration) async -> Bool {
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
