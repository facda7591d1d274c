@testable import BookshelfJSONSchema
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

    /// What a random pattern may be built of: its atoms, and constructs beyond those every grammar shares
    /// (sequences, alternatives, groups, greedy, lazy, counted and nullable loops, `^` and `$`).
    struct Grammar {
        typealias Construct = @Sendable (inout SplitMix, _ sub: (inout SplitMix) -> String) -> String
        var atoms: [String]
        var extras: [Construct]

        /// Constructs whose meaning Swift Regex shares on ASCII input without line breaks; look-behind
        /// only where Swift Regex is not asked.
        static func swiftComparable(lookbehind: Bool) -> Grammar {
            var extras: [Construct] = [
                { random, sub in "(?=" + sub(&random) + ")" },
                { random, sub in "(?!" + sub(&random) + ")" },
            ]
            if lookbehind {
                extras += [{ random, sub in "(?<=" + sub(&random) + ")" }, { random, sub in "(?<!" + sub(&random) + ")" }]
            }
            return Grammar(atoms: ["a", "b", "c", ".", "[ab]", "[^a]", "[a-c]"], extras: extras)
        }

        /// ASCII-only patterns with every construct `RegexDFA` takes: besides the shared ones, quantified
        /// atoms, repeated groups, longer sequences and the contracts' `(?!\n)$`.
        static var automaton: Grammar {
            let atoms = ["a", "b", "-", "[ab]", "[a-c]", "\\d", "[0-9-]", "\\n"]
            return Grammar(atoms: atoms, extras: [
                { random, _ in atoms[random.next(atoms.count)] + ["{2}", "{0,3}", "{1,}", "+", "*", "?"][random.next(6)] },
                { random, sub in "(?:" + sub(&random) + "){2}" },
                { random, sub in sub(&random) + "(?!\\n)$" },
                { random, sub in sub(&random) + sub(&random) + sub(&random) },
            ])
        }
    }

    static func pattern(_ random: inout SplitMix, depth: Int, _ grammar: Grammar) -> String {
        if depth == 0 { return grammar.atoms[random.next(grammar.atoms.count)] }
        let sub = { (random: inout SplitMix) in pattern(&random, depth: depth - 1, grammar) }
        let shared = 10
        switch random.next(shared + grammar.extras.count) {
        case 0, 1: return sub(&random) + sub(&random)
        case 2: return sub(&random) + "|" + sub(&random)
        case 3: return "(" + sub(&random) + ")"
        case 4: return "(?:" + sub(&random) + ")*"
        case 5: return "(?:" + sub(&random) + ")+?"
        case 6: return "(" + sub(&random) + ")?"
        case 7: return "(?:" + sub(&random) + "){1,3}"
        case 8: return "(?:" + sub(&random) + "|)*"
        case 9: return ["^", "$"][random.next(2)] + sub(&random)
        case let extra: return grammar.extras[extra - shared](&random, sub)
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
            let source = Self.wholeOrPart(Self.pattern(&random, depth: 3, .swiftComparable(lookbehind: false)), &random)
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
            let source = Self.wholeOrPart(Self.pattern(&random, depth: 3, .swiftComparable(lookbehind: true)), &random)
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

    /// Fixed shapes (`^`, ASCII atoms each once or `{n}` times, `$`) are matched byte by byte
    /// (`RegexProgram.fixedBytes`) instead of by the program; both must agree, on inputs of the right length and not, with line breaks and with
    /// characters of more than one UTF-8 byte.
    @Test func fixedShapesAgreeWithTheProgram() throws {
        var random = SplitMix(state: 4)
        // Each atom with a character it matches, so that texts made from them match unless changed.
        let atoms: [(source: String, sample: Character)] = [
            ("a", "a"), ("-", "-"), ("[ab]", "b"), ("[a-c]", "c"), ("[0-9a-f]", "f"), ("\\d", "0"), ("[-b\\x66]", "f"),
        ]
        let alphabet = Array("ab-c0f9\né")
        var shapes = 0
        var matched = 0
        for _ in 0..<300 {
            var source = "^"
            var sample: [Character] = []
            for _ in 0...random.next(4) {
                let (atom, character) = atoms[random.next(atoms.count)]
                let count = 1 + random.next(3)
                source += atom + (count > 1 || random.next(2) == 0 ? "{\(count)}" : "")
                sample += repeatElement(character, count: count)
            }
            source += ["$", "(?!\\n)$"][random.next(2)]
            let program = try RegexProgram(source)
            #expect(program.fixedBytes != nil, "\(source) is a fixed shape")
            if program.fixedBytes != nil { shapes += 1 }
            let regex = try ECMARegex(source)
            for _ in 0..<12 {
                // The sample as it is, with one character changed, one added or one removed.
                var characters = sample
                switch random.next(4) {
                case 0: break
                case 1: characters[random.next(characters.count)] = alphabet[random.next(alphabet.count)]
                case 2: characters.insert(alphabet[random.next(alphabet.count)], at: random.next(characters.count + 1))
                default: characters.remove(at: random.next(characters.count))
                }
                let text = String(characters)
                var copy = text
                let expected = copy.withUTF8 { RegexMatcher.search(program, in: UnsafeRawBufferPointer($0)) }
                #expect(regex.matches(text) == (expected == .match), "\(source) on \(text.debugDescription)")
                if expected == .match { matched += 1 }
            }
        }
        #expect(shapes == 300)
        #expect((900...2700).contains(matched), "\(matched) of 3600 matched")
        for source in ["^a{1,3}$", "^[^a]{2}$", "^(a){2}$", "a{2}$", "^a{2}", "^[ab]|c$", "^é$", "^.{2}$", "^a*$"] {
            #expect(try RegexProgram(source).fixedBytes == nil, "\(source) is not a fixed shape")
        }
    }
}

extension ECMARegexDifferentialTests {
    static func verdict(_ program: RegexProgram, _ text: String) -> RegexMatcher.Outcome {
        var text = text
        return text.withUTF8 { RegexMatcher.search(program, in: UnsafeRawBufferPointer($0)) }
    }

    /// `RegexDFA` must give the backtracking machine's verdict on every input: random ASCII patterns, on
    /// texts with line breaks, characters of more than one byte and the empty text.
    @Test func automatonAgreesWithTheProgram() throws {
        var random = SplitMix(state: 99)
        let alphabet = Array("ab-c0\né")
        var automata = 0
        var matched = 0
        var compared = 0
        for _ in 0..<800 {
            let source = Self.wholeOrPart(Self.pattern(&random, depth: 3, .automaton), &random)
            let program = try RegexProgram(source)
            let regex = try ECMARegex(source)
            guard let automaton = RegexDFA(program) else { continue }
            automata += 1
            for _ in 0..<12 {
                let text = String((0..<random.next(10)).map { _ in alphabet[random.next(alphabet.count)] })
                let expected = Self.verdict(program, text)
                var copy = text
                if !text.isEmpty {
                    let verdict = copy.withUTF8 { automaton.matches(UnsafeRawBufferPointer($0)) }
                    #expect(verdict == (expected == .match), "\(source) on \(text.debugDescription)")
                }
                #expect(regex.matches(text) == (expected == .match), "\(source) on \(text.debugDescription)")
                if expected == .match { matched += 1 }
                compared += 1
            }
        }
        // Nearly every pattern of this grammar qualifies, and both verdicts are common.
        #expect(automata >= 760, "\(automata) of 800 patterns have an automaton")
        #expect(matched >= compared / 5 && matched <= compared * 4 / 5, "\(matched) of \(compared) matched")
    }

    /// The contracts' own ASCII patterns, on valid values and near misses: one character changed,
    /// added or removed, a trailing line break, a character of more than one byte.
    @Test func automatonAgreesOnTheContractsPatterns() throws {
        var random = SplitMix(state: 2027)
        let timestamp = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)"
            + "(\\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])(?!\\n)$"
        let cases: [(source: String, valid: (inout SplitMix) -> String)] = [
            (timestamp, { random in
                let fraction = random.next(3) == 0 ? "" : "." + String(repeating: "7", count: 1 + random.next(9))
                let zone = ["Z", "+01:00", "-05:30", "+23:59"][random.next(4)]
                func digits(_ value: Int, _ width: Int) -> String {
                    String(repeating: "0", count: max(0, width - String(value).count)) + String(value)
                }
                return digits(random.next(10_000), 4) + "-" + digits(1 + random.next(12), 2) + "-" + digits(1 + random.next(31), 2)
                    + "T" + digits(random.next(24), 2) + ":" + digits(random.next(60), 2) + ":" + digits(random.next(61), 2)
                    + fraction + zone
            }),
            ("^([0-9]{9}[0-9X]|97[89][0-9]{10})(?!\\n)$", { random in
                random.next(2) == 0 ? "044101359" + ["3", "X"][random.next(2)] : "97" + ["8", "9"][random.next(2)] + "0441013593"
            }),
            ("^[!-~]+(?!\\n)$", { random in String(repeating: "k", count: 1 + random.next(20)) + "-~!" }),
        ]
        let alphabet = Array("0123456789-:T.Z+X!~ \né")
        for (source, valid) in cases {
            let program = try RegexProgram(source)
            #expect(program.fixedBytes == nil)
            let automaton = try #require(RegexDFA(program), "\(source) has an automaton")
            var matched = 0
            for _ in 0..<2000 {
                var characters = Array(valid(&random))
                switch random.next(6) {
                case 0, 1: break
                case 2: characters[random.next(characters.count)] = alphabet[random.next(alphabet.count)]
                case 3: characters.insert(alphabet[random.next(alphabet.count)], at: random.next(characters.count + 1))
                case 4: characters.remove(at: random.next(characters.count))
                default: characters.append("\n")
                }
                var text = String(characters)
                let expected = Self.verdict(program, text)
                let verdict = text.isEmpty ? expected == .match : text.withUTF8 { automaton.matches(UnsafeRawBufferPointer($0)) }
                #expect(verdict == (expected == .match), "\(source) on \(text.debugDescription)")
                if expected == .match { matched += 1 }
            }
            #expect((500...1700).contains(matched), "\(source): \(matched) of 2000 matched")
        }
    }

    /// What the automaton cannot express stays with the machine.
    @Test func automatonOnlyForWhatItDecides() throws {
        for source in ["(a)\\1", "(?<=a)b", "\\bab", "(?=a)a", "(?!a)b", "é", "^.$", "[^a]b", "a\\p{L}", "^a{1,600}$"] {
            #expect(RegexDFA(try RegexProgram(source)) == nil, "\(source) has no automaton")
        }
        for source in ["^a{1,3}$", "ab|c", "^(x|y)*z(?!\\n)$", "[0-9]{2,}", "^$"] {
            #expect(RegexDFA(try RegexProgram(source)) != nil, "\(source) has an automaton")
        }
    }
}

extension ECMARegexDifferentialTests.SplitMix: RandomNumberGenerator {
    mutating func next() -> UInt64 {
        UInt64(next(Int.max))
    }
}
