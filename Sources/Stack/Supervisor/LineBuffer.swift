/// Splits a child's output into lines across reads, so a line written in two chunks is still relayed as
/// one; a line longer than `limit` bytes is cut there rather than held back without bound.
struct LineBuffer {
    private var pending: [UInt8] = []
    let limit: Int

    init(limit: Int = 64 * 1024) {
        self.limit = limit
    }

    mutating func append(_ bytes: some Collection<UInt8>) -> [String] {
        pending.append(contentsOf: bytes)
        var lines: [String] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            var line = pending[..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            lines.append(String(decoding: line, as: UTF8.self))
            pending.removeSubrange(...newline)
        }
        while pending.count >= limit {
            lines.append(String(decoding: pending.prefix(limit), as: UTF8.self))
            pending.removeFirst(limit)
        }
        return lines
    }

    /// What is left at end of file: a last line without its newline.
    mutating func finish() -> String? {
        defer { pending.removeAll() }
        return pending.isEmpty ? nil : String(decoding: pending, as: UTF8.self)
    }
}
