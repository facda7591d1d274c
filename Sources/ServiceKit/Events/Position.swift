import FoundationEssentials

/// Where an event sits in the topic: its partition and offset. A write answers with the position of the
/// event it produced (`X-Bookshelf-Position: 3:1042`); a view answers with the positions it has applied.
public struct EventPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var partition: Int32
    public var offset: Int64

    public init(partition: Int32, offset: Int64) {
        self.partition = partition
        self.offset = offset
    }

    /// `partition:offset`, both non-negative decimals.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let partition = Int32(parts[0]), let offset = Int64(parts[1]),
              partition >= 0, offset >= 0 else { return nil }
        self.init(partition: partition, offset: offset)
    }

    public var description: String { "\(partition):\(offset)" }

    public static func < (lhs: EventPosition, rhs: EventPosition) -> Bool {
        (lhs.partition, lhs.offset) < (rhs.partition, rhs.offset)
    }
}

/// A set of positions, at most one per partition: what a view has applied, or what a reader wants applied.
/// Text form: `partition:offset` pairs joined by commas, partitions ascending (`0:17,3:1042`); the empty
/// vector is the empty string. Kafka orders events only within a partition, so "has the view seen my
/// write" is a per-partition question, and this answers it exactly.
public struct PositionVector: Sendable, Hashable, CustomStringConvertible {
    public private(set) var offsets: [Int32: Int64]

    public init(_ offsets: [Int32: Int64] = [:]) {
        self.offsets = offsets
    }

    public init(_ positions: [EventPosition]) {
        var offsets: [Int32: Int64] = [:]
        for position in positions { offsets[position.partition] = max(offsets[position.partition] ?? -1, position.offset) }
        self.offsets = offsets
    }

    /// Parses the text form; nil when any element is malformed.
    public init?(parsing text: some StringProtocol) {
        var positions: [EventPosition] = []
        for element in text.split(separator: ",") {
            guard let position = EventPosition(element.trimmingSpacesAndTabs()) else { return nil }
            positions.append(position)
        }
        self.init(positions)
    }

    public var isEmpty: Bool { offsets.isEmpty }

    /// Records that `position` has been applied (positions only move forward).
    public mutating func advance(to position: EventPosition) {
        if position.offset > offsets[position.partition] ?? -1 { offsets[position.partition] = position.offset }
    }

    /// True when, on every partition `other` names, this vector is at or past its offset.
    public func covers(_ other: PositionVector) -> Bool {
        other.offsets.allSatisfy { partition, offset in (offsets[partition] ?? -1) >= offset }
    }

    /// Records left until this vector reaches `end` (summed over `end`'s partitions).
    public func lag(behind end: PositionVector) -> Int64 {
        end.offsets.reduce(0) { sum, element in sum + max(0, element.value - (offsets[element.key] ?? -1)) }
    }

    public var description: String {
        offsets.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
    }
}
