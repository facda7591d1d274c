import BookshelfJSON
import FoundationEssentials

/// One of a service's own events, as its domain knows it: what `EventCodec` writes into a CloudEvents
/// envelope and reads back out of one. The event's types, and the versions of each type's `data`, are
/// described by the contracts folder (`events/<type>/v<N>.schema.json`); the conforming type knows only its
/// own fields.
public protocol ServiceEvent: Sendable {
    /// The CloudEvents `id`: a consumer applies each id once.
    var id: UUID { get }
    /// The CloudEvents `time`.
    var time: Date { get }
    /// The CloudEvents `type`, one of the types the contracts folder describes.
    var type: String { get }
    /// The record key and the CloudEvents `subject`: events with one key stay in order on one partition.
    var key: String { get }
    /// The CloudEvents `safe` extension attribute: handling the event has no side effect outside the
    /// consumer's own state. False unless the conforming type says otherwise.
    var isSafe: Bool { get }
    /// The CloudEvents `idempotent` extension attribute: handling the event twice has the same effect as
    /// once. True unless the conforming type says otherwise (consumers dedupe by `id`).
    var isIdempotent: Bool { get }

    /// The event's `data`, in the newest version of its type's schema (the codec checks it against that
    /// schema before anything is produced).
    func data() -> JSONValue

    /// Reads an event whose envelope and `data` the contracts have already accepted. `type` is one of
    /// the types the contracts describe; `data` follows one of its versions (any of them: a reader of v3
    /// reads v1). `data` lives only for this call: keep Swift values, not the `JSONValue`. Throw
    /// `UnreadableEvent` (it becomes the dead letter's reason) for a type or a shape this type cannot read.
    init(id: UUID, time: Date, type: String, data: JSONValue) throws(UnreadableEvent)

    /// Decodes a batch of records in order, each to its event or to the reason it cannot be read: what
    /// ``ProjectionHost`` does with every batch a replay reads. Keep the default implementation. It is
    /// compiled into the module that declares the conformance, where the event type is known; the host's own
    /// code is generic, and without this would reach every event's initializer and copies through the
    /// protocol's witnesses (docs/architecture.md, "A replay").
    static func decode(_ records: ArraySlice<ConsumedRecord>, with codec: EventCodec<Self>) -> [EventCodec<Self>.Decoded]
}

extension ServiceEvent {
    @inlinable
    public static func decode(_ records: ArraySlice<ConsumedRecord>, with codec: EventCodec<Self>) -> [EventCodec<Self>.Decoded] {
        records.indices.map { index in
            Result { () throws(UnreadableEvent) in try codec.decodeCounted(records[index].value) }
        }
    }

    public var isSafe: Bool { false }
    public var isIdempotent: Bool { true }
}
