/// Which `Idempotency-Key` a service's writes answered with what, so a retried write gets the same answer
/// and produces nothing. Keep one in a projection: keys travel in the events, so `learn(key:value:)` from
/// `apply` rebuilds the ledger by replay and it survives restarts. A write checks its key
/// (`check(_:)`), reserves it while its event is being published (`reserve(_:)`), and ends the
/// reservation with `finish(key:with:)`; a concurrent retry of a reserved key is answered 409.
public struct IdempotencyLedger<Value: Sendable>: Sendable {
    private var answers: [String: Value] = [:]
    /// Where the events of keys written by this process went. A key learned by replay has none: its event
    /// was applied to the projection that holds this ledger, so the positions that projection reflects cover it.
    private var positions: [String: EventPosition] = [:]
    private var inFlight: Set<String> = []

    /// An empty ledger.
    public init() {}

    /// What the ledger knows of a key.
    package enum Lookup: Sendable {
        /// Never answered and not being written: the write may go ahead.
        case new
        /// A write with this key has not been answered yet.
        case inFlight
        /// The key was answered with this value. `position` is where its event went when this process
        /// wrote it, nil when the key was learned by replay.
        case done(Value, position: EventPosition?)
    }

    /// What the ledger knows of `key`.
    package func lookup(_ key: String) -> Lookup {
        if let value = answers[key] { return .done(value, position: positions[key]) }
        return inFlight.contains(key) ? .inFlight : .new
    }

    /// The answer a write with `key` must give again, or nil when the write may go ahead.
    ///
    /// - Parameter key: the request's `Idempotency-Key`.
    /// - Returns: the value and position `key` was answered with, or nil for a new key.
    /// - Throws: a 400 problem `invalid-idempotency-key` for a key that is not 1 to 255 visible ASCII
    ///   characters, a retryable 409 `idempotency-key-in-use` while a write with the key is in flight.
    public func check(_ key: String) throws(Problem) -> (value: Value, position: EventPosition?)? {
        guard Self.isUsableKey(key) else { throw Self.invalidKey }
        switch lookup(key) {
        case .new: return nil
        case .inFlight: throw Self.keyInUse
        case .done(let value, let position): return (value, position)
        }
    }

    /// Reserves `key` for a write about to be published, until `finish(key:with:)`.
    ///
    /// - Parameter key: a key `check(_:)` found new.
    public mutating func reserve(_ key: String) {
        inFlight.insert(key)
    }

    /// Ends a reservation: with the value and its event's position when the broker acknowledged it (so a
    /// retry finds it before the event comes back through the topic), with nil when publishing failed
    /// (nothing was written, so the key is free again).
    ///
    /// - Parameters:
    ///   - key: the reserved key.
    ///   - written: the answer and where its event went, or nil when nothing was written.
    public mutating func finish(key: String, with written: (value: Value, position: EventPosition)?) {
        inFlight.remove(key)
        if let written, answers[key] == nil {
            answers[key] = written.value
            positions[key] = written.position
        }
    }

    /// Records a key found in a replayed or consumed event; the first answer of a key stays.
    ///
    /// - Parameters:
    ///   - key: the `Idempotency-Key` the event carries.
    ///   - value: what a retry with that key is answered.
    public mutating func learn(key: String, value: Value) {
        if answers[key] == nil { answers[key] = value }
    }

    /// Every key answered so far, with its answer.
    public var answered: [String: Value] { answers }

    /// Whether `key` can be an `Idempotency-Key`: 1 to 255 visible ASCII characters.
    ///
    /// - Parameter key: the header's value.
    package static func isUsableKey(_ key: String) -> Bool {
        (1...255).contains(key.utf8.count) && key.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }

    /// 400 `invalid-idempotency-key`: what `check(_:)` throws for a key `isUsableKey(_:)` refuses.
    package static var invalidKey: Problem {
        Problem.badRequest(code: "invalid-idempotency-key", "Idempotency-Key must be 1 to 255 visible ASCII characters.")
    }

    /// 409 `idempotency-key-in-use`, retryable after a second: what `check(_:)` throws while a write with
    /// the key is in flight.
    package static var keyInUse: Problem {
        Problem(
            status: .conflict, code: "idempotency-key-in-use",
            detail: "A request with this Idempotency-Key is still being processed; retry once it has answered.",
            isRetryable: true, retryAfter: 1
        )
    }
}

extension IdempotencyLedger.Lookup: Equatable where Value: Equatable {}

/// A projection that keeps an `IdempotencyLedger`, so `ProjectionHost` can publish its writes and end their
/// reservations in one step (`ProjectionHost.publish(_:with:answering:idempotencyKey:through:)`).
public protocol IdempotentProjection: Projection {
    /// What a write with a key answers, and a retry with the same key answers again.
    associatedtype Answer: Sendable
    /// The projection's keys. Settable so the host can end a write's reservation.
    var idempotencyKeys: IdempotencyLedger<Answer> { get set }
}

extension ProjectionHost where P: IdempotentProjection {
    /// Encodes and publishes a write's event, then ends its key's reservation: with `answer` and the
    /// event's position once the broker acknowledged it; released when encoding or publishing failed.
    ///
    /// - Parameters:
    ///   - event: the event the write decided on.
    ///   - codec: checks and encodes `event`.
    ///   - answer: what the write answers, and a retry with `key` answers again.
    ///   - key: the write's `Idempotency-Key`, reserved by the decision; nil without one.
    ///   - publisher: where the event goes.
    /// - Returns: where the event went.
    /// - Throws: what encoding or publishing threw, after releasing the key.
    public func publish(
        _ event: P.Event, with codec: EventCodec<P.Event>, answering answer: P.Answer, idempotencyKey key: String?,
        through publisher: any EventPublisher
    ) async throws -> EventPosition {
        let position: EventPosition
        do {
            position = try await publisher.publish(try codec.record(event))
        } catch {
            if let key { update { $0.idempotencyKeys.finish(key: key, with: nil) } }
            throw error
        }
        if let key { update { $0.idempotencyKeys.finish(key: key, with: (answer, position)) } }
        return position
    }

    /// The position a replayed answer reports as written: where its event went when this process wrote
    /// it, else (a key learned by replay, whose event was applied here) the positions this host has applied.
    ///
    /// - Parameter position: the position `IdempotencyLedger.check(_:)` returned with the answer.
    public func writtenPosition(ofReplayed position: EventPosition?) -> String {
        position?.description ?? read { _, applied in applied.description }
    }
}
