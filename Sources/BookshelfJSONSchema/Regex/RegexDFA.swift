/// A deterministic automaton equivalent to a program that tests only ASCII (the contracts' timestamps,
/// identifiers and codes): one table lookup per input byte, whatever alternatives and optional parts the
/// pattern has, instead of the backtracking machine's dispatch, stack and retries.
///
/// Why it gives the same verdicts: without backreferences, whether a pattern matches does not depend on
/// captures or on the order in which paths are tried, only on whether some path reaches `match`; that is
/// what the subset construction tracks. ECMA-262's rule that an empty iteration fails only removes paths
/// that stand still, and each has a twin without the empty iteration, so it changes no verdict either.
/// A program qualifies when it has no backreferences, no word boundaries, no lookbehind and no
/// lookaround other than a one-character negative lookahead right before `$` (always true there), when
/// every character it tests is ASCII, and when its counted repetitions and its automaton stay small.
/// Every non-ASCII byte then ends every path, and a search restarted inside a multi-byte character
/// finds nothing that the restart at its first byte does not, so the automaton can restart at every byte.
struct RegexDFA: Sendable {
    /// Bounds on the work done once per pattern when it is compiled.
    static let nodeLimit = 512
    static let stateLimit = 256

    /// One column per ASCII byte and one shared by every byte of 0x80 and above, while building.
    private static let columns = 129
    private static let accepting: UInt8 = 1
    private static let acceptingAtEnd: UInt8 = 2
    private static let dead: UInt8 = 4
    /// In a table entry, above the offset of the next state: what reaching it decides.
    private static let entryAccepts: UInt32 = 1 << 30
    private static let entryDies: UInt32 = 1 << 31

    /// The class of each byte: bytes that lead every state to the same next state share one (a pattern
    /// of digits and a few separators has a dozen), which keeps the table small enough to stay in cache.
    private let byteClass: [UInt8]
    private let classCount: Int
    /// Per state, one entry per byte class: the offset of the next state's row (its number × `classCount`,
    /// so that the next lookup needs no multiplication) with `entryAccepts` and `entryDies`. Row 0 is the
    /// state at offset 0 of the text.
    private let table: [UInt32]
    private let flags: [UInt8]

    init?(_ program: RegexProgram) {
        guard !program.hasBackreferences, let automaton = Automaton(program) else { return nil }
        var states: [[UInt64]: Int] = [:]
        var sets: [[UInt64]] = []
        var columns: [Int] = []
        var flags: [UInt8] = []
        func state(_ set: [UInt64]) -> Int? {
            if let known = states[set] { return known }
            guard sets.count < Self.stateLimit else { return nil }
            states[set] = sets.count
            sets.append(set)
            var flag: UInt8 = 0
            if automaton.contains(set, automaton.matchNode) { flag |= Self.accepting }
            if automaton.acceptsAtEnd(set) { flag |= Self.acceptingAtEnd }
            if set.allSatisfy({ $0 == 0 }) { flag |= Self.dead }
            flags.append(flag)
            return sets.count - 1
        }
        _ = state(automaton.closure(entering: [0], atStart: true))
        let restart = program.anchored ? automaton.empty : automaton.closure(entering: [0], atStart: false)
        var next = 0
        while next < sets.count {
            let set = sets[next]
            for byte in 0..<Self.columns {
                var target = byte < 0x80 ? automaton.step(set, byte: UInt8(byte)) : automaton.empty
                for word in target.indices { target[word] |= restart[word] }
                guard let index = state(target) else { return nil }
                columns.append(index)
            }
            next += 1
        }
        // Bytes whose columns are equal across every state form one class.
        var classes: [[Int]: UInt8] = [:]
        var representatives: [Int] = []
        var classOfColumn: [UInt8] = []
        for column in 0..<Self.columns {
            let targets = (0..<sets.count).map { columns[$0 * Self.columns + column] }
            if let known = classes[targets] {
                classOfColumn.append(known)
            } else {
                classes[targets] = UInt8(representatives.count)
                classOfColumn.append(UInt8(representatives.count))
                representatives.append(column)
            }
        }
        classCount = representatives.count
        byteClass = (0..<256).map { classOfColumn[Swift.min($0, 0x80)] }
        var table: [UInt32] = []
        for state in sets.indices {
            for column in representatives {
                let target = columns[state * Self.columns + column]
                var entry = UInt32(target * representatives.count)
                if flags[target] & Self.accepting != 0 { entry |= Self.entryAccepts }
                if flags[target] & Self.dead != 0 { entry |= Self.entryDies }
                table.append(entry)
            }
        }
        self.table = table
        self.flags = flags
    }

    /// Whether the pattern matches anywhere in `text` (not empty: an empty text goes to the machine,
    /// where `^` and `$` hold at the same offset).
    func matches(_ text: UnsafeRawBufferPointer) -> Bool {
        if flags[0] & Self.accepting != 0 { return true }
        return table.withUnsafeBufferPointer { table in
            byteClass.withUnsafeBufferPointer { byteClass in
                var row = 0
                for byte in text {
                    let entry = table[row &+ Int(byteClass[Int(byte)])]
                    if entry >= Self.entryAccepts { return entry & Self.entryAccepts != 0 }
                    row = Int(entry)
                }
                return flags[row / classCount] & Self.acceptingAtEnd != 0
            }
        }
    }

    /// The program as a nondeterministic automaton: one node per instruction, and one per count reached
    /// inside `setCount` and bounded `setLoop`. Sets of nodes are bit sets.
    private struct Automaton {
        let instructions: [RegexInstruction]
        let classes: [ASCIISet?]
        /// The first node of each instruction.
        let base: [Int]
        let nodeCount: Int
        let matchNode: Int
        var empty: [UInt64] { Array(repeating: 0, count: (nodeCount + 63) / 64) }

        init?(_ program: RegexProgram) {
            instructions = program.instructions
            classes = program.classes.map(ASCIISet.init(exactly:))
            guard case .match? = instructions.last else { return nil }
            var base: [Int] = []
            var nodes = 0
            for (pc, instruction) in instructions.enumerated() {
                base.append(nodes)
                switch instruction {
                case .scalar(let value) where value < 0x80: nodes += 1
                case .set(let index) where classes[index] != nil: nodes += 1
                case .setCount(let index, let count) where classes[index] != nil && count >= 1: nodes += count
                case .setLoop(let index, let maximum) where classes[index] != nil:
                    guard maximum == Int.max || maximum < RegexDFA.nodeLimit else { return nil }
                    nodes += maximum == Int.max ? 1 : maximum + 1
                case .look(_, negated: true, let next) where Self.isLookaheadBeforeEnd(instructions, pc, next): nodes += 1
                case .match, .inputStart, .inputEnd, .split, .jump, .save, .clear, .mark, .progress: nodes += 1
                default:
                    // The lookahead's body is never entered (the lookahead holds at the end whatever it is).
                    guard Self.insideLookahead(instructions, pc) else { return nil }
                    nodes += 1
                }
                guard nodes <= RegexDFA.nodeLimit else { return nil }
            }
            self.base = base
            nodeCount = nodes
            // The program's own `match` is its last instruction (a lookahead's body ends with one too).
            matchNode = base[instructions.count - 1]
        }

        /// `(?!x)$`: a negative lookahead whose body is one character, followed by the end of input.
        static func isLookaheadBeforeEnd(_ instructions: [RegexInstruction], _ pc: Int, _ next: Int) -> Bool {
            guard next == pc + 3, next < instructions.count, case .inputEnd = instructions[next],
                  case .match = instructions[pc + 2] else { return false }
            switch instructions[pc + 1] {
            case .scalar, .set: return true
            default: return false
            }
        }

        /// The body of an `isLookaheadBeforeEnd` lookahead, which may test non-ASCII characters.
        static func insideLookahead(_ instructions: [RegexInstruction], _ pc: Int) -> Bool {
            guard pc >= 1, case .look(_, negated: true, let next) = instructions[pc - 1] else { return false }
            return isLookaheadBeforeEnd(instructions, pc - 1, next)
        }

        func contains(_ set: [UInt64], _ node: Int) -> Bool {
            set[node >> 6] & (1 << UInt64(node & 63)) != 0
        }

        private func insert(_ node: Int, into set: inout [UInt64]) -> Bool {
            if contains(set, node) { return false }
            set[node >> 6] |= 1 << UInt64(node & 63)
            return true
        }

        /// The nodes reached from `pcs` without reading a byte, at offset 0 or not (`atStart`), and at
        /// the end of input or not (`atEnd`). Nodes that wait for a byte, an unmet `^` or `$`, or `match` stay.
        func closure(entering pcs: [Int], atStart: Bool, atEnd: Bool = false) -> [UInt64] {
            var set = empty
            enter(pcs, &set, atStart: atStart, atEnd: atEnd)
            return set
        }

        private func enter(_ pcs: [Int], _ set: inout [UInt64], atStart: Bool, atEnd: Bool) {
            var pending = pcs
            while let pc = pending.popLast() {
                guard insert(base[pc], into: &set) else { continue }
                switch instructions[pc] {
                case .split(let first, let second): pending += [first, second]
                case .jump(let target): pending.append(target)
                case .save, .clear, .mark, .progress, .setLoop: pending.append(pc + 1)
                case .inputStart where atStart: pending.append(pc + 1)
                case .inputEnd where atEnd: pending.append(pc + 1)
                case .look(_, _, let next): pending.append(next)
                default: break
                }
            }
        }

        /// Whether the nodes waiting for the end of input (`$`) reach `match` there.
        func acceptsAtEnd(_ set: [UInt64]) -> Bool {
            var waiting: [Int] = []
            for (pc, instruction) in instructions.enumerated() {
                if case .inputEnd = instruction, contains(set, base[pc]) { waiting.append(pc + 1) }
            }
            return !waiting.isEmpty && contains(closure(entering: waiting, atStart: false, atEnd: true), matchNode)
        }

        /// The nodes reached from `set` by reading `byte` (ASCII).
        func step(_ set: [UInt64], byte: UInt8) -> [UInt64] {
            var next = empty
            var exits: [Int] = []
            for (pc, instruction) in instructions.enumerated() {
                let node = base[pc]
                switch instruction {
                case .scalar(let value):
                    if value == UInt32(byte) && contains(set, node) { exits.append(pc + 1) }
                case .set(let index):
                    if let bytes = classes[index], bytes.contains(byte), contains(set, node) { exits.append(pc + 1) }
                case .setCount(let index, let count):
                    guard let bytes = classes[index], bytes.contains(byte) else { continue }
                    for consumed in 0..<count where contains(set, node + consumed) {
                        if consumed + 1 < count { _ = insert(node + consumed + 1, into: &next) } else { exits.append(pc + 1) }
                    }
                case .setLoop(let index, let maximum):
                    guard let bytes = classes[index], bytes.contains(byte) else { continue }
                    if maximum == Int.max {
                        if contains(set, node) { exits.append(pc) }
                        continue
                    }
                    for consumed in 0..<maximum where contains(set, node + consumed) {
                        // At any count the loop may stop, so the next instruction is reached too.
                        _ = insert(node + consumed + 1, into: &next)
                        exits.append(pc + 1)
                    }
                default: break
                }
            }
            enter(exits, &next, atStart: false, atEnd: false)
            return next
        }
    }
}
