import BookshelfKafka
/// A record to produce: the key (book id) and the CloudEvents JSON value.
public struct OutgoingRecord: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]
    /// CloudEvents `type`, for metrics and headers.
    public var type: String

    public init(key: String, value: [UInt8], type: String) {
        self.key = key
        self.value = value
        self.type = type
    }
}

/// Produces events; `publish` returns only once the broker acknowledged the record, with its position.
/// Failures are `ServiceError`s: retryable ones (broker down, queue full) become 503 with `Retry-After`.
public protocol EventPublisher: Sendable {
    func publish(_ record: OutgoingRecord) async throws -> EventPosition
}

/// A record read from the events topic. Key and headers travel with it so that a dead letter keeps the
/// whole original record, as `contracts/deadletter/headers.schema.json` promises.
public struct ConsumedRecord: Sendable, Equatable {
    public var position: EventPosition
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [KafkaHeader]

    public init(position: EventPosition, key: [UInt8]? = nil, value: [UInt8], headers: [KafkaHeader] = []) {
        self.position = position
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// Replays the events topic from its beginning, then follows it until the source shuts down.
public protocol EventSource: Sendable {
    /// The records in order per partition, in the batches they arrive in (never empty); read from one
    /// task only. Asking for the next batch is what marks the previous one processed.
    var batches: any AsyncSequence<[ConsumedRecord], Never> & Sendable { get }
    /// Resolves true once every record that existed when the source started has been processed, false if
    /// the source shut down first.
    func caughtUp() async -> Bool
    /// How many records the source held when it started (what replay will read before it has caught up),
    /// known by the time the first batch arrives; nil before that.
    var recordsAtStart: Int? { get }
    /// The offset of the newest record of each partition that holds one, asked of the log now; nil when
    /// the log cannot say.
    func lastPositions() async -> PositionVector?
}

/// Where records a consumer cannot read go, with the reason, so they are kept and counted rather than lost.
public protocol DeadLetterSink: Sendable {
    func deadLetter(_ record: ConsumedRecord, consumer: String, reason: UnreadableEvent) async throws
}
