@testable import JSONSchema
import Testing

/// Random patterns and inputs over a small alphabet, checked against Swift's own Regex engine and,
/// for the explored-state search, against plain backtracking (they must agree on every verdict).
@Suite struct ECMARegexDifferentialTests {
    /// A deterministic generator, so that a failure names a pattern that fails again.
    struct SplitMix {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }

    /// Constructs whose meaning Swift Regex shares on ASCII input without line breaks; look-behind
    /// only where Swift Regex is not asked.
    static func pattern(_ random: inout SplitMix, depth: Int, lookbehind: Bool) -> String {
        let atoms = ["a", "b", "c", ".", "[ab]", "[^a]", "[a-c]"]
        if depth == 0 { return atoms[random.next(atoms.count)] }
        let sub = { (random: inout SplitMix) in pattern(&random, depth: depth - 1, lookbehind: lookbehind) }
        switch random.next(lookbehind ? 14 : 12) {
        case 0, 1: return sub(&random) + sub(&random)
        case 2: return sub(&random) + "|" + sub(&random)
        case 3: return "(" + sub(&random) + ")"
        case 4: return "(?:" + sub(&random) + ")*"
        case 5: return "(?:" + sub(&random) + ")+?"
        case 6: return "(" + sub(&random) + ")?"
        case 7: return "(?:" + sub(&random) + "){1,3}"
        case 8: return "(?:" + sub(&random) + "|)*"
        case 9: return "(?=" + sub(&random) + ")"
        case 10: return "(?!" + sub(&random) + ")"
        case 11: return ["^", "$"][random.next(2)] + sub(&random)
        case 12: return "(?<=" + sub(&random) + ")"
        default: return "(?<!" + sub(&random) + ")"
        }
    }

    /// Half the patterns must match the whole input, so that both verdicts are common.
    static func wholeOrPart(_ pattern: String, _ random: inout SplitMix) -> String {
        random.next(2) == 0 ? pattern : "^(?:" + pattern + ")$"
    }

    static func input(_ random: inout SplitMix) -> String {
        String((0..<random.next(9)).map { _ in "abc".randomElement(using: &random)! })
    }

    static func verdict(_ source: String, _ text: String, plainBudget: Int?) throws -> RegexMatcher.Outcome {
        let program = try RegexProgram(source)
        var text = text
        return text.withUTF8 { RegexMatcher.search(program, in: UnsafeRawBufferPointer($0), plainBudget: plainBudget) }
    }

    @Test func agreesWithSwiftRegex() throws {
        var random = SplitMix(state: 2026)
        var matched = 0
        for _ in 0..<400 {
            let source = Self.wholeOrPart(Self.pattern(&random, depth: 3, lookbehind: false), &random)
            let ours = try ECMARegex(source)
            let theirs = try Regex(source)
            for _ in 0..<8 {
                let text = Self.input(&random)
                let verdict = ours.matches(text)
                #expect(verdict == text.contains(theirs), "\(source) on \(text.debugDescription)")
                if verdict { matched += 1 }
            }
        }
        // Both verdicts are common, so agreement says something about each.
        #expect((960...2240).contains(matched), "\(matched) of 3200 matched")
    }

    @Test func exploredStateSearchAgreesWithPlainBacktracking() throws {
        var random = SplitMix(state: 17)
        var matched = 0
        for _ in 0..<600 {
            let source = Self.wholeOrPart(Self.pattern(&random, depth: 3, lookbehind: true), &random)
            for _ in 0..<8 {
                let text = Self.input(&random)
                let plain = try Self.verdict(source, text, plainBudget: nil)
                let explored = try Self.verdict(source, text, plainBudget: 0)
                #expect(plain == explored, "\(source) on \(text.debugDescription)")
                if plain == .match { matched += 1 }
            }
        }
        #expect((1440...3360).contains(matched), "\(matched) of 4800 matched")
    }
}

extension ECMARegexDifferentialTests.SplitMix: RandomNumberGenerator {
    mutating func next() -> UInt64 {
        UInt64(next(Int.max))
    }
}
