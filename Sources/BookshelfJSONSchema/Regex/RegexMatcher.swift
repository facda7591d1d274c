/// Runs a `RegexProgram` over UTF-8 bytes, decoding scalars as it goes.
///
/// Why the search is bounded: a pattern without backreferences only asks whether *some* path through
/// the program matches, and that answer does not depend on captures or on the order paths are tried.
/// So the matcher first backtracks plainly (fast, nothing allocated beyond small stack buffers) within
/// a step budget proportional to program size × input length; a search that exceeds it starts again
/// with a bit per (instruction, position) marking states already explored, which visits each state
/// at most once: O(instructions × bytes) whatever the pattern (`(a*)*b` included). With
/// backreferences that shortcut is not valid, and a hard step budget ends the search instead (as it
/// does when the bitmap would be larger than `memoLimit`). A backtracking stack deeper than
/// `depthLimit` ends any search.
struct RegexMatcher {
    enum Outcome {
        case match
        case noMatch
        /// The step budget or the stack ran out (only with backreferences or a very long input).
        case gaveUp
    }

    static let hardStepLimit = 20_000_000
    /// The deepest backtracking stack allowed (entries of 16 bytes), 64 MiB.
    static let depthLimit = 1 << 22
    /// The largest explored-state bitmap allowed (bits), 32 MiB.
    static let memoLimit = 1 << 28

    /// `plainBudget` overrides the steps plain backtracking may take before the explored-state
    /// search takes over (tests set 0 to check that both searches agree).
    static func search(_ program: RegexProgram, in text: UnsafeRawBufferPointer, plainBudget: Int? = nil) -> Outcome {
        program.instructions.withUnsafeBufferPointer { instructions in
            program.classes.withUnsafeBufferPointer { classes in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: max(program.slotCount, 1)) { slots in
                    withUnsafeTemporaryAllocation(of: Backtrack.self, capacity: 64) { stack in
                        var matcher = RegexMatcher(program: program, instructions: instructions, classes: classes, text: text,
                                                   slots: slots.baseAddress!, stack: stack.baseAddress!, capacity: 64)
                        defer { matcher.release() }
                        return matcher.search(plainBudget: plainBudget)
                    }
                }
            }
        }
    }

    /// A place to come back to (`pc` ≥ 0), or a slot to restore (`pc` = -1 - slot, `position` = old value).
    struct Backtrack {
        var pc: Int
        var position: Int
    }

    private let program: RegexProgram
    private let instructions: UnsafeBufferPointer<RegexInstruction>
    private let classes: UnsafeBufferPointer<ScalarClass>
    private let bytes: UnsafePointer<UInt8>
    private let count: Int
    private let slots: UnsafeMutablePointer<Int>
    private var stack: UnsafeMutablePointer<Backtrack>
    private var capacity: Int
    private var depth = 0
    private var ownsStack = false
    private var steps = 0
    private var budget = 0
    /// Explored states, pc-major: bit pc × (count + 1) + position. Nil while backtracking plainly.
    private var explored: UnsafeMutablePointer<UInt64>?
    /// Lookaround bodies known to match at a position: bit id × (count + 1) + position.
    private var lookMatched: UnsafeMutablePointer<UInt64>?

    private init(program: RegexProgram, instructions: UnsafeBufferPointer<RegexInstruction>,
                 classes: UnsafeBufferPointer<ScalarClass>, text: UnsafeRawBufferPointer,
                 slots: UnsafeMutablePointer<Int>, stack: UnsafeMutablePointer<Backtrack>, capacity: Int) {
        self.program = program
        self.instructions = instructions
        self.classes = classes
        bytes = text.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) } ?? UnsafePointer(bitPattern: 1)!
        count = text.count
        self.slots = slots
        self.stack = stack
        self.capacity = capacity
    }

    private mutating func release() {
        if ownsStack { stack.deallocate() }
        explored?.deallocate()
        lookMatched?.deallocate()
    }

    private mutating func search(plainBudget: Int?) -> Outcome {
        let positions = count + 1
        let states = instructions.count * positions
        let memoizable = !program.hasBackreferences && states + program.lookarounds * positions <= Self.memoLimit
        budget = memoizable ? plainBudget ?? max(10_000, 4 * states) : Self.hardStepLimit
        switch scan() {
        case .match: return .match
        case .noMatch: return .noMatch
        case .gaveUp where !memoizable: return .gaveUp
        case .gaveUp: break
        }
        explored = Self.zeroed(bits: states)
        lookMatched = Self.zeroed(bits: program.lookarounds * positions)
        budget = Int.max
        depth = 0
        return scan()
    }

    private static func zeroed(bits: Int) -> UnsafeMutablePointer<UInt64> {
        let words = max(1, (bits + 63) / 64)
        let memory = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        memory.initialize(repeating: 0, count: words)
        return memory
    }

    /// Tries each start position (only 0 when anchored; only bytes that can begin a match).
    private mutating func scan() -> Outcome {
        for slot in 0..<program.slotCount { slots[slot] = -1 }
        if program.anchored {
            let end = run(from: 0, at: 0)
            return end >= 0 ? .match : (end == Self.abandoned ? .gaveUp : .noMatch)
        }
        var start = 0
        while start <= count {
            if let first = program.firstBytes {
                while start < count && !first.contains(bytes[start]) { start += 1 }
                if start == count { return .noMatch }
            } else if start < count && bytes[start] & 0xC0 == 0x80 {
                start += 1
                continue
            }
            let end = run(from: 0, at: start)
            if end >= 0 { return .match }
            if end == Self.abandoned { return .gaveUp }
            start += 1
        }
        return .noMatch
    }

    private static let failed = -1
    private static let abandoned = -2

    private mutating func push(_ pc: Int, _ position: Int) {
        if depth == capacity {
            // Ends the search at the next step, as a spent step budget does.
            if capacity >= Self.depthLimit { budget = 0 }
            let larger = UnsafeMutablePointer<Backtrack>.allocate(capacity: capacity * 2)
            larger.moveInitialize(from: stack, count: depth)
            if ownsStack { stack.deallocate() }
            stack = larger
            capacity *= 2
            ownsStack = true
        }
        stack[depth] = Backtrack(pc: pc, position: position)
        depth += 1
    }

    /// Sets a slot, remembering its old value for backtracking.
    private mutating func set(_ slot: Int, _ value: Int) {
        push(-1 - slot, slots[slot])
        slots[slot] = value
    }

    /// Decodes the scalar starting at `position` (the input is valid UTF-8: jansson checks it).
    @inline(__always)
    private func decode(at position: Int) -> (UInt32, Int) {
        let lead = UInt32(bytes[position])
        if lead < 0x80 { return (lead, 1) }
        if lead < 0xE0 { return ((lead & 0x1F) << 6 | UInt32(bytes[position + 1] & 0x3F), 2) }
        if lead < 0xF0 {
            return ((lead & 0x0F) << 12 | UInt32(bytes[position + 1] & 0x3F) << 6 | UInt32(bytes[position + 2] & 0x3F), 3)
        }
        return ((lead & 0x07) << 18 | UInt32(bytes[position + 1] & 0x3F) << 12 | UInt32(bytes[position + 2] & 0x3F) << 6
            | UInt32(bytes[position + 3] & 0x3F), 4)
    }

    @inline(__always)
    private func decode(before position: Int) -> (UInt32, Int) {
        var start = position - 1
        while start > 0 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
        return (decode(at: start).0, position - start)
    }

    /// Runs from `pc` at `position` until a `match` (returns its position) or until every path failed
    /// (`failed`, slots restored) or the budget ran out (`abandoned`).
    private mutating func run(from startPC: Int, at startPosition: Int) -> Int {
        let base = depth
        var pc = startPC
        var position = startPosition
        let positions = count + 1
        machine: while true {
            steps += 1
            if steps > budget {
                depth = base
                return Self.abandoned
            }
            var advanced = true
            if let explored {
                let bit = pc * positions + position
                if explored[bit >> 6] & (1 << UInt64(bit & 63)) != 0 {
                    advanced = false
                } else {
                    explored[bit >> 6] |= 1 << UInt64(bit & 63)
                }
            }
            if advanced {
                switch instructions[pc] {
                case .scalar(let expected):
                    if position < count {
                        let (scalar, length) = decode(at: position)
                        if scalar == expected {
                            position += length
                            pc += 1
                            continue machine
                        }
                    }
                case .scalarBackward(let expected):
                    if position > 0 {
                        let (scalar, length) = decode(before: position)
                        if scalar == expected {
                            position -= length
                            pc += 1
                            continue machine
                        }
                    }
                case .set(let index):
                    if position < count {
                        let (scalar, length) = decode(at: position)
                        if classes[index].contains(scalar) {
                            position += length
                            pc += 1
                            continue machine
                        }
                    }
                case .setBackward(let index):
                    if position > 0 {
                        let (scalar, length) = decode(before: position)
                        if classes[index].contains(scalar) {
                            position -= length
                            pc += 1
                            continue machine
                        }
                    }
                case .setCount(let index, let times):
                    var end = position
                    var taken = 0
                    while taken < times && end < count {
                        let (scalar, length) = decode(at: end)
                        guard classes[index].contains(scalar) else { break }
                        end += length
                        taken += 1
                    }
                    steps += taken
                    if taken == times {
                        position = end
                        pc += 1
                        continue machine
                    }
                case .setLoop(let index, let maximum) where explored != nil && maximum == Int.max:
                    // One scalar per state, so each (instruction, position) is explored once: a whole
                    // run from every position would make the search quadratic.
                    if position < count {
                        let (scalar, length) = decode(at: position)
                        if classes[index].contains(scalar) {
                            push(pc + 1, position)
                            position += length
                            continue machine
                        }
                    }
                    pc += 1
                    continue machine
                case .setLoop(let index, let maximum):
                    // A bounded run costs at most `maximum` per visit, as many states as it replaces.
                    var taken = 0
                    while taken < maximum && position < count {
                        let (scalar, length) = decode(at: position)
                        guard classes[index].contains(scalar) else { break }
                        push(pc + 1, position)
                        position += length
                        taken += 1
                    }
                    steps += taken
                    pc += 1
                    continue machine
                case .inputStart:
                    if position == 0 {
                        pc += 1
                        continue machine
                    }
                case .inputEnd:
                    if position == count {
                        pc += 1
                        continue machine
                    }
                case .wordBoundary(let negated):
                    let before = position > 0 && ScalarClass.isWordByte(bytes[position - 1])
                    let after = position < count && ScalarClass.isWordByte(bytes[position])
                    if (before != after) != negated {
                        pc += 1
                        continue machine
                    }
                case .split(let first, let second):
                    push(second, position)
                    pc = first
                    continue machine
                case .jump(let target):
                    pc = target
                    continue machine
                case .save(let slot):
                    if explored == nil { set(slot, position) }
                    pc += 1
                    continue machine
                case .clear(let range):
                    if explored == nil {
                        for slot in range where slots[slot] != -1 { set(slot, -1) }
                    }
                    pc += 1
                    continue machine
                case .mark(let register):
                    if explored == nil { set(register, position) }
                    pc += 1
                    continue machine
                case .progress(let register):
                    // With the explored-state bitmap an empty iteration revisits a state and stops there.
                    if explored != nil || slots[register] != position {
                        pc += 1
                        continue machine
                    }
                case .look(let id, let negated, let next):
                    let bodyMatched: Bool
                    switch lookaround(id: id, body: pc + 1, end: next, at: position, keepCaptures: !negated) {
                    case Self.abandoned:
                        depth = base
                        return Self.abandoned
                    case Self.failed: bodyMatched = false
                    default: bodyMatched = true
                    }
                    if bodyMatched != negated {
                        pc = next
                        continue machine
                    }
                case .backreference(let group, let backward):
                    let (start, end) = (slots[2 * (group - 1)], slots[2 * (group - 1) + 1])
                    if start < 0 || end < 0 {
                        pc += 1
                        continue machine
                    }
                    let length = end - start
                    let from = backward ? position - length : position
                    if from >= 0 && from + length <= count && (0..<length).allSatisfy({ bytes[start + $0] == bytes[from + $0] }) {
                        position = backward ? from : position + length
                        pc += 1
                        continue machine
                    }
                case .match:
                    return position
                }
            }
            // Backtrack: undo slot writes down to the most recent place to come back to.
            while depth > base {
                depth -= 1
                let entry = stack[depth]
                if entry.pc >= 0 {
                    pc = entry.pc
                    position = entry.position
                    continue machine
                }
                slots[-1 - entry.pc] = entry.position
            }
            return Self.failed
        }
    }

    /// Runs a lookaround body. Lookarounds are atomic: once the body matched, its other paths are
    /// dropped, but the slot writes of a positive one are kept so that later backtracking undoes them.
    private mutating func lookaround(id: Int, body: Int, end: Int, at position: Int, keepCaptures: Bool) -> Int {
        let positions = count + 1
        if let lookMatched, lookMatched[(id * positions + position) >> 6] & (1 << UInt64((id * positions + position) & 63)) != 0 {
            return position
        }
        let base = depth
        let result = run(from: body, at: position)
        guard result >= 0 else { return result }
        if keepCaptures {
            var kept = base
            for index in base..<depth where stack[index].pc < 0 {
                stack[kept] = stack[index]
                kept += 1
            }
            depth = kept
        } else {
            while depth > base {
                depth -= 1
                if stack[depth].pc < 0 { slots[-1 - stack[depth].pc] = stack[depth].position }
            }
        }
        if let explored, let lookMatched {
            // The body's states were explored from this position only; another position must
            // explore them again, so they are forgotten (the answer here is remembered instead).
            let bit = id * positions + position
            lookMatched[bit >> 6] |= 1 << UInt64(bit & 63)
            for state in body * positions..<end * positions {
                explored[state >> 6] &= ~(1 << UInt64(state & 63))
            }
        }
        return result
    }
}
