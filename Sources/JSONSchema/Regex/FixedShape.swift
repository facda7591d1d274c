/// The shape of ids and codes: `^`, then ASCII characters or ASCII-only classes, each once or an exact
/// number of times, then `$` (optionally after `(?!\n)`, which holds wherever `$` does, since `$` matches
/// only at the very end). Such a pattern matches exactly the texts with one byte per position, each in
/// that position's class, so it is checked byte by byte instead of by the backtracking program. The
/// contracts' UUID pattern is one: it took 200 ns a match on the program and takes a few here.
struct FixedShape: Sendable {
    /// The class of each byte of a matching text.
    private let positions: [ByteSet]

    /// The shape of `node`, or nil when it has another one. Counted repetitions stay below `limit` bytes.
    init?(_ node: RegexNode, limit: Int = 256) {
        guard case .sequence(var items) = node, case .inputStart? = items.first, case .inputEnd? = items.last else { return nil }
        items.removeFirst()
        items.removeLast()
        if case .look(.scalar(0x0A), behind: false, negated: true)? = items.last { items.removeLast() }
        var positions: [ByteSet] = []
        for item in items {
            var atom = item
            var count = 1
            if case .repetition(let inner, let min, let max, _, let groups) = item, max == min, groups.isEmpty {
                atom = inner
                count = min
            }
            guard let bytes = Self.asciiBytes(of: atom), positions.count + count <= limit else { return nil }
            positions += repeatElement(bytes, count: count)
        }
        self.positions = positions
    }

    /// The bytes an atom matches, when it matches exactly one ASCII character.
    private static func asciiBytes(of atom: RegexNode) -> ByteSet? {
        var bytes = ByteSet()
        switch atom {
        case .scalar(let value) where value < 0x80:
            bytes.insert(UInt8(value))
        case .set(let set) where !set.admitsNonASCII:
            for byte in UInt8(0)..<0x80 where set.contains(UInt32(byte)) { bytes.insert(byte) }
        default:
            return nil
        }
        return bytes
    }

    /// Whether the UTF-8 `text` matches. A byte of a non-ASCII character is in no position's class.
    func matches(_ text: UnsafeRawBufferPointer) -> Bool {
        guard text.count == positions.count else { return false }
        return positions.withUnsafeBufferPointer { positions in
            for index in 0..<text.count where !positions[index].contains(text[index]) { return false }
            return true
        }
    }
}
