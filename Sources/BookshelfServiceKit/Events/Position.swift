import FoundationEssentials

/// Where an event sits in the topic: its partition and offset. A write answers with the position of the
/// event it produced (Bookshelf's `X-Bookshelf-Position: 3:1042`); a view answers with the positions it has applied.
public struct EventPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var partition: Int32
    public var offset: Int64

    public init(partition: Int32, offset: Int64) {
        self.partition = partition
        self.offset = offset
    }

    /// `partition:offset`: decimal digits only, at most 9 for the partition and 18 for the offset, so that
    /// every text `contracts/rest/position` accepts fits and nothing else is read (no sign, no overflow).
    public init?(_ text: some StringProtocol) {
        let parts = text.utf8.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        guard parts.count == 2, let partition = Self.decimal(parts[0], digits: 9), let offset = Self.decimal(parts[1], digits: 18) else { return nil }
        self.init(partition: Int32(partition), offset: offset)
    }

    private static func decimal(_ digits: some Collection<UInt8>, digits limit: Int) -> Int64? {
        guard (1...limit).contains(digits.count) else { return nil }
        var value: Int64 = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            value = value * 10 + Int64(digit - UInt8(ascii: "0"))
        }
        return value
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

    package init(_ offsets: [Int32: Int64] = [:]) {
        self.offsets = offsets
    }

    package init(_ positions: [EventPosition]) {
        var offsets: [Int32: Int64] = [:]
        for position in positions { offsets[position.partition] = max(offsets[position.partition] ?? -1, position.offset) }
        self.offsets = offsets
    }

    /// Parses the text form (`contracts/rest/position`): elements separated by commas with optional spaces
    /// or tabs around them; nil when any element is malformed or empty.
    package init?(parsing text: some StringProtocol) {
        var positions: [EventPosition] = []
        if text.isEmpty {
            self.init(positions)
            return
        }
        for element in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let position = EventPosition(element.trimmingSpacesAndTabs()) else { return nil }
            positions.append(position)
        }
        self.init(positions)
    }

    public var isEmpty: Bool { offsets.isEmpty }

    /// This vector with each offset lowered to `end`'s on its partition, and the partitions `end` does not
    /// name left out: a position past the end of the log asks for no more than the whole log.
    package func clamped(to end: PositionVector) -> PositionVector {
        var clamped: [Int32: Int64] = [:]
        for (partition, offset) in offsets {
            if let last = end.offsets[partition] { clamped[partition] = min(offset, last) }
        }
        return PositionVector(clamped)
    }

    /// Records that `position` has been applied (positions only move forward).
    package mutating func advance(to position: EventPosition) {
        if position.offset > offsets[position.partition] ?? -1 { offsets[position.partition] = position.offset }
    }

    /// True when, on every partition `other` names, this vector is at or past its offset.
    package func covers(_ other: PositionVector) -> Bool {
        other.offsets.allSatisfy { partition, offset in (offsets[partition] ?? -1) >= offset }
    }

    /// Records left until this vector reaches `end` (summed over `end`'s partitions).
    package func lag(behind end: PositionVector) -> Int64 {
        end.offsets.reduce(0) { sum, element in sum + max(0, element.value - (offsets[element.key] ?? -1)) }
    }

    public var description: String {
        offsets.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
    }
}
