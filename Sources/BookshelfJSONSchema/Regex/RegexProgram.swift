/// One instruction of a compiled pattern, run by `RegexMatcher` (a backtracking machine: `split`
/// tries its first target and keeps the second to come back to).
enum RegexInstruction: Sendable {
    case scalar(UInt32)
    case scalarBackward(UInt32)
    case set(Int)
    case setBackward(Int)
    /// Exactly `count` scalars of a class (`[0-9]{4}`): one instruction instead of `count`.
    case setCount(Int, count: Int)
    /// Greedily up to `maximum` scalars of a class, keeping every shorter run to come back to
    /// (`[a-z]*`, `[0-9]{0,18}`): one dispatch for the whole run.
    case setLoop(Int, maximum: Int)
    case inputStart
    case inputEnd
    case wordBoundary(negated: Bool)
    case split(Int, Int)
    case jump(Int)
    /// Records the position in a capture slot (undone on backtracking).
    case save(Int)
    /// Clears the capture slots of a repeated atom's groups before each iteration.
    case clear(Range<Int>)
    /// A loop register: `mark` records where an iteration began, `progress` fails an iteration that
    /// matched nothing (ECMA-262's rule that stops a nullable atom from repeating forever).
    case mark(Int)
    case progress(Int)
    /// A lookaround: its body starts at the next instruction and ends with `match`; `next` follows it.
    case look(id: Int, negated: Bool, next: Int)
    case backreference(group: Int, backward: Bool)
    case match
}

/// A pattern compiled once: instructions, the classes they test, and what the search can skip.
struct RegexProgram: Sendable {
    static let instructionLimit = 20_000

    let instructions: [RegexInstruction]
    let classes: [ScalarClass]
    /// Capture slots (two per group) followed by loop registers.
    let slotCount: Int
    let lookarounds: Int
    let hasBackreferences: Bool
    /// Every match starts at offset 0 (each alternative begins with `^`).
    let anchored: Bool
    /// The bytes a match can start with, when the pattern cannot match the empty string.
    let firstBytes: ByteSet?
    /// For a pattern that is `^`, then runs of ASCII-only classes of fixed length, then `$` (a UUID's, a
    /// date's): the class of each byte. It matches exactly the inputs of that many bytes whose every byte
    /// is in its class, which one pass checks without the backtracking machine.
    let fixedBytes: [ASCIISet]?
    /// The pattern is one unanchored class or character (`[^ \t\r\n]`): any ASCII byte among
    /// `firstBytes` is a match by itself.
    let isSingleScalar: Bool

    init(_ source: String) throws(ECMARegex.SyntaxError) {
        var parser = try RegexParser(source)
        let (node, groups) = try parser.parse()
        var compiler = Compiler(captureSlots: 2 * groups)
        try compiler.emit(node, backward: false)
        compiler.instructions.append(.match)
        instructions = compiler.instructions
        classes = compiler.classes
        slotCount = compiler.captureSlots + compiler.registers
        lookarounds = compiler.lookarounds
        hasBackreferences = parser.hasBackreferences
        anchored = Self.isAnchored(node)
        let (bytes, nullable) = Self.firstBytes(of: node)
        firstBytes = nullable || bytes.isFull ? nil : bytes
        fixedBytes = Self.fixedBytes(instructions, classes)
        switch instructions.first {
        case .set, .scalar: isSingleScalar = instructions.count == 2 && !anchored
        default: isSingleScalar = false
        }
    }

    /// See `fixedBytes`. A negative lookahead for one character right before `$` (the contracts' `(?!\n)$`)
    /// always holds at the end of the input, so it adds nothing to `$`.
    private static func fixedBytes(_ instructions: [RegexInstruction], _ classes: [ScalarClass]) -> [ASCIISet]? {
        guard case .inputStart? = instructions.first else { return nil }
        var sets: [ASCIISet] = []
        var pc = 1
        while pc < instructions.count {
            switch instructions[pc] {
            case .scalar(let value) where value < 0x80:
                var bytes = ASCIISet()
                bytes.insert(UInt8(value))
                sets.append(bytes)
            case .set(let index):
                guard let bytes = ASCIISet(exactly: classes[index]) else { return nil }
                sets.append(bytes)
            case .setCount(let index, let count):
                guard let bytes = ASCIISet(exactly: classes[index]) else { return nil }
                sets.append(contentsOf: repeatElement(bytes, count: count))
            case .look(_, negated: true, let next) where next == pc + 3 && next < instructions.count:
                switch (instructions[pc + 1], instructions[pc + 2], instructions[next]) {
                case (.scalar, .match, .inputEnd), (.set, .match, .inputEnd): pc = next
                default: return nil
                }
                continue
            case .inputEnd:
                guard pc + 2 == instructions.count, case .match = instructions[pc + 1] else { return nil }
                return sets
            default:
                return nil
            }
            pc += 1
        }
        return nil
    }

    private static func isAnchored(_ node: RegexNode) -> Bool {
        switch node {
        case .inputStart: true
        case .sequence(let items): items.first.map(isAnchored) ?? false
        case .alternation(let alternatives): alternatives.allSatisfy(isAnchored)
        case .group(let inner, _): isAnchored(inner)
        default: false
        }
    }

    /// The first bytes of the non-empty matches of a node, and whether it can match empty.
    private static func firstBytes(of node: RegexNode) -> (ByteSet, Bool) {
        switch node {
        case .scalar(let value):
            var bytes = ByteSet()
            bytes.insert(leadByte(of: value))
            return (bytes, false)
        case .set(let set):
            var bytes = ByteSet()
            for byte in UInt8(0)..<128 where set.contains(UInt32(byte)) { bytes.insert(byte) }
            if set.admitsNonASCII {
                for byte in UInt8(0xC2)...0xF4 { bytes.insert(byte) }
            }
            return (bytes, false)
        case .sequence(let items):
            var bytes = ByteSet()
            for item in items {
                let (first, nullable) = firstBytes(of: item)
                bytes.formUnion(first)
                if !nullable { return (bytes, false) }
            }
            return (bytes, true)
        case .alternation(let alternatives):
            var bytes = ByteSet()
            var nullable = false
            for alternative in alternatives {
                let (first, empty) = firstBytes(of: alternative)
                bytes.formUnion(first)
                nullable = nullable || empty
            }
            return (bytes, nullable)
        case .group(let inner, _): return firstBytes(of: inner)
        case .repetition(let atom, let min, _, _, _):
            let (bytes, nullable) = firstBytes(of: atom)
            return (bytes, nullable || min == 0)
        case .backreference: return (ByteSet.full, true)
        case .empty, .inputStart, .inputEnd, .wordBoundary, .look: return (ByteSet(), true)
        }
    }

    private static func leadByte(of value: UInt32) -> UInt8 {
        switch value {
        case ..<0x80: UInt8(value)
        case ..<0x800: UInt8(0xC0 | (value >> 6))
        case ..<0x10000: UInt8(truncatingIfNeeded: 0xE0 | (value >> 12))
        default: UInt8(truncatingIfNeeded: 0xF0 | (value >> 18))
        }
    }

    private struct Compiler {
        var instructions: [RegexInstruction] = []
        var classes: [ScalarClass] = []
        let captureSlots: Int
        var registers = 0
        var lookarounds = 0

        init(captureSlots: Int) {
            self.captureSlots = captureSlots
        }

        mutating func append(_ instruction: RegexInstruction) throws(ECMARegex.SyntaxError) {
            guard instructions.count < RegexProgram.instructionLimit else {
                throw ECMARegex.SyntaxError(reason: "the pattern is too large once its counted repetitions are expanded "
                    + "(more than \(RegexProgram.instructionLimit) instructions)")
            }
            instructions.append(instruction)
        }

        mutating func emit(_ node: RegexNode, backward: Bool) throws(ECMARegex.SyntaxError) {
            switch node {
            case .empty: break
            case .scalar(let value): try append(backward ? .scalarBackward(value) : .scalar(value))
            case .set(let set):
                classes.append(set)
                try append(backward ? .setBackward(classes.count - 1) : .set(classes.count - 1))
            case .sequence(let items):
                // A lookbehind matches right to left, so its terms run in reverse order.
                for item in backward ? items.reversed() : items { try emit(item, backward: backward) }
            case .alternation(let alternatives):
                var exits: [Int] = []
                for alternative in alternatives.dropLast() {
                    let split = instructions.count
                    try append(.match)
                    try emit(alternative, backward: backward)
                    exits.append(instructions.count)
                    try append(.match)
                    instructions[split] = .split(split + 1, instructions.count)
                }
                try emit(alternatives[alternatives.count - 1], backward: backward)
                for exit in exits { instructions[exit] = .jump(instructions.count) }
            case .group(let inner, let capture):
                guard let capture else { return try emit(inner, backward: backward) }
                let (open, close) = (2 * (capture - 1), 2 * (capture - 1) + 1)
                try append(.save(backward ? close : open))
                try emit(inner, backward: backward)
                try append(.save(backward ? open : close))
            case .repetition(let atom, let min, let max, let greedy, let groups):
                try emitRepetition(atom, min: min, max: max, greedy: greedy, groups: groups, backward: backward)
            case .inputStart: try append(.inputStart)
            case .inputEnd: try append(.inputEnd)
            case .wordBoundary(let negated): try append(.wordBoundary(negated: negated))
            case .look(let body, let behind, let negated):
                let start = instructions.count
                let id = lookarounds
                lookarounds += 1
                try append(.match)
                try emit(body, backward: behind)
                try append(.match)
                instructions[start] = .look(id: id, negated: negated, next: instructions.count)
            case .backreference(let group): try append(.backreference(group: group, backward: backward))
            }
        }

        /// The class of an atom that always matches exactly one scalar and captures nothing.
        private static func singleScalar(_ node: RegexNode) -> ScalarClass? {
            switch node {
            case .set(let set): set
            case .scalar(let value): ScalarClass(ranges: [value...value])
            case .group(let inner, capture: nil): singleScalar(inner)
            default: nil
            }
        }

        private static func emitsNothing(_ node: RegexNode) -> Bool {
            switch node {
            case .empty: true
            case .sequence(let items): items.allSatisfy(emitsNothing)
            case .group(let inner, capture: nil): emitsNothing(inner)
            case .repetition(let atom, _, let max, _, _): max == 0 || emitsNothing(atom)
            default: false
            }
        }

        /// Counted repetitions are unrolled: `min` copies, then `max - min` optional copies or one loop.
        private mutating func emitRepetition(_ atom: RegexNode, min: Int, max: Int?, greedy: Bool, groups: Range<Int>,
                                             backward: Bool) throws(ECMARegex.SyntaxError) {
            let slots = 2 * groups.lowerBound..<2 * groups.upperBound
            func iteration(_ compiler: inout Compiler, checked register: Int?) throws(ECMARegex.SyntaxError) {
                if !slots.isEmpty { try compiler.append(.clear(slots)) }
                if let register { try compiler.append(.mark(register)) }
                try compiler.emit(atom, backward: backward)
                if let register { try compiler.append(.progress(register)) }
            }
            // An atom that compiles to nothing (such as `(?:)`) matches empty without effects, however
            // often it repeats: skip it rather than loop over a count like {2147483647}.
            if Self.emitsNothing(atom) { return }
            if !backward, greedy, let set = Self.singleScalar(atom) {
                classes.append(set)
                if min > 0 { try append(min == 1 ? .set(classes.count - 1) : .setCount(classes.count - 1, count: min)) }
                if max != min { try append(.setLoop(classes.count - 1, maximum: max.map { $0 - min } ?? Int.max)) }
                return
            }
            for _ in 0..<min { try iteration(&self, checked: nil) }
            if max == min { return }
            var register: Int?
            if atom.nullable {
                register = captureSlots + registers
                registers += 1
            }
            guard let max else {
                let loop = instructions.count
                try append(.match)
                try iteration(&self, checked: register)
                try append(.jump(loop))
                instructions[loop] = greedy ? .split(loop + 1, instructions.count) : .split(instructions.count, loop + 1)
                return
            }
            var splits: [Int] = []
            for _ in min..<max {
                splits.append(instructions.count)
                try append(.match)
                try iteration(&self, checked: register)
            }
            for split in splits {
                instructions[split] = greedy ? .split(split + 1, instructions.count) : .split(instructions.count, split + 1)
            }
        }
    }
}

/// A set of ASCII bytes, tested without branches: one per byte of a fixed-shape pattern's input.
struct ASCIISet: Sendable {
    private var low: UInt64 = 0
    private var high: UInt64 = 0

    init() {}

    /// The bytes of a class that holds only ASCII characters; nil when it admits any other.
    init?(exactly set: ScalarClass) {
        guard !set.admitsNonASCII else { return nil }
        for byte in UInt8(0)..<128 where set.contains(UInt32(byte)) { insert(byte) }
    }

    mutating func insert(_ byte: UInt8) {
        precondition(byte < 0x80)
        if byte < 64 { low |= 1 << UInt64(byte) } else { high |= 1 << UInt64(byte - 64) }
    }

    @inline(__always)
    func contains(_ byte: UInt8) -> Bool {
        let word = byte < 64 ? low : high
        return byte < 0x80 && (word >> UInt64(byte & 63)) & 1 != 0
    }
}

/// 256 bits: which bytes can start a match.
struct ByteSet: Sendable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    static var full: ByteSet {
        var set = ByteSet()
        set.words = (~0, ~0, ~0, ~0)
        return set
    }

    var isFull: Bool { words.0 & words.1 & words.2 & words.3 == ~0 }

    mutating func insert(_ byte: UInt8) {
        let bit: UInt64 = 1 << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    mutating func formUnion(_ other: ByteSet) {
        words = (words.0 | other.words.0, words.1 | other.words.1, words.2 | other.words.2, words.3 | other.words.3)
    }

    @inline(__always)
    func contains(_ byte: UInt8) -> Bool {
        let bit: UInt64 = 1 << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }
}
