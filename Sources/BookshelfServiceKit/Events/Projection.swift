import FoundationEssentials

/// A read model built from a service's events: pure, no I/O. `apply` must accept anything the codec can
/// decode and never trap; an event it cannot use is reported, not thrown.
public protocol Projection: Sendable {
    /// The events this projection is built from (decoded by `EventCodec<Event>`).
    associatedtype Event: ServiceEvent
    init()
    mutating func apply(_ event: Event) -> ApplyOutcome
    /// Called once, when replay has caught up: replay reads the partitions in no fixed interleaving, so a
    /// projection whose answer depends on an order across partitions restores it here, once, instead of
    /// on every event of the replay.
    mutating func settle()
    /// Called before replay with how many records the topic held at start: a projection that keeps a
    /// table per event makes room for them at once instead of rehashing it ever larger as they arrive.
    mutating func reserveCapacity(forRecords count: Int)
}

extension Projection {
    public mutating func settle() {}
    public mutating func reserveCapacity(forRecords count: Int) {}
}

public enum ApplyOutcome: Sendable, Equatable {
    case applied
    /// An event id already applied: replays and redeliveries change nothing.
    case duplicate
    /// The event is well-formed but cannot be applied (e.g. finishing a book never added); dead-lettered.
    case rejected(UnreadableEvent)
}

/// Remembers applied event ids. Kept beside each projection so dedupe is part of its pure state.
public struct SeenEvents: Sendable {
    private var ids: Set<UUID> = []

    public init() {}

    /// True the first time an id is offered.
    public mutating func insert(_ id: UUID) -> Bool {
        ids.insert(id).inserted
    }

    public var count: Int { ids.count }

    public mutating func reserveCapacity(_ count: Int) {
        ids.reserveCapacity(count)
    }
}
