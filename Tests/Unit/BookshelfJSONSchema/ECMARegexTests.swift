@testable import BookshelfJSONSchema
import Testing

/// The ECMA-262 (`u` flag) engine behind `pattern`: `matches` is an unanchored search.
@Suite struct ECMARegexTests {
    private func regex(_ source: String) throws -> ECMARegex { try ECMARegex(source) }

    private func reason(_ source: String) -> String? {
        do {
            _ = try ECMARegex(source)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func literalsAndCharacterEscapes() throws {
        #expect(try regex("abc").matches("xxabcxx"))
        #expect(try !regex("abc").matches("ab c"))
        #expect(try regex(#"^\t\n\v\f\r\0$"#).matches("\t\n\u{0B}\u{0C}\r\u{0}"))
        #expect(try regex(#"^\x41\u0042\u{1F600}\u{43}$"#).matches("AB😀C"))
        #expect(try regex(#"^\uD83D\uDE00$"#).matches("😀"))
        #expect(try regex(#"^\cJ\cj$"#).matches("\n\n"))
        #expect(try regex(#"^\^\$\\\.\*\+\?\(\)\[\]\{\}\|\/$"#).matches(#"^$\.*+?()[]{}|/"#))
        #expect(try !regex(#"^\x41$"#).matches("B"))
    }

    @Test func dotMatchesAnyScalarButLineTerminators() throws {
        let dot = try regex("^.$")
        #expect(dot.matches("a"))
        #expect(dot.matches("é"))
        #expect(dot.matches("🐲"))  // one code point, four UTF-8 bytes
        for terminator in ["\n", "\r", "\u{2028}", "\u{2029}"] { #expect(!dot.matches(terminator)) }
        #expect(!dot.matches(""))
        #expect(!dot.matches("ab"))
    }

    @Test func classesRangesAndNegation() throws {
        let hex = try regex("^[0-9a-fA-F]+$")
        #expect(hex.matches("deadBEEF09"))
        #expect(!hex.matches("xyz"))
        let notVowel = try regex("^[^aeiou]$")
        #expect(notVowel.matches("b"))
        #expect(notVowel.matches("é"))
        #expect(!notVowel.matches("a"))
        #expect(try regex("^[-a]+$").matches("-a-"))
        #expect(try regex("^[a-]+$").matches("a-"))
        #expect(try regex(#"^[\-\]\\\b]+$"#).matches("-]\\\u{08}"))
        #expect(try regex("^[[]$").matches("["))
        #expect(try regex("^[é-ü]$").matches("ö"))
        #expect(try !regex("^[é-ü]$").matches("e"))
        #expect(try regex("^[😀-😂]$").matches("😁"))
        #expect(try !regex("[]").matches("a"))  // the empty class matches nothing
        #expect(try regex("^[^]$").matches("\n"))  // its negation matches anything
        #expect(try regex(#"^[!-~]+$"#).matches("Hello!"))
        #expect(try !regex(#"^[!-~]+$"#).matches("Hello there"))
    }

    @Test func classEscapesAreASCIIOrECMAWhiteSpace() throws {
        #expect(try regex(#"^\d+$"#).matches("0123456789"))
        #expect(try !regex(#"^\d$"#).matches("߀"))
        #expect(try regex(#"^\D$"#).matches("߀"))
        #expect(try regex(#"^\w+$"#).matches("snake_Case9"))
        #expect(try !regex(#"^\w$"#).matches("é"))
        #expect(try regex(#"^\W$"#).matches("é"))
        for space in ["\t", "\n", "\u{0B}", "\u{0C}", "\r", " ", "\u{A0}", "\u{1680}", "\u{2003}", "\u{2028}", "\u{2029}", "\u{202F}", "\u{3000}", "\u{FEFF}"] {
            #expect(try regex(#"^\s$"#).matches(space))
            #expect(try !regex(#"^\S$"#).matches(space))
        }
        #expect(try !regex(#"^\s$"#).matches("\u{200B}"))  // zero width space is not white space
        #expect(try regex(#"^[\d\s]+$"#).matches("1 2\t3"))
        #expect(try regex(#"^[^\s]+$"#).matches("a-b"))
        #expect(try !regex(#"^[^\s]+$"#).matches("a b"))
        #expect(try regex(#"^[\D]$"#).matches("x"))
        #expect(try !regex(#"^[\D]$"#).matches("7"))
        #expect(try regex(#"^[\W\d]+$"#).matches("é1"))
        #expect(try !regex(#"^[\W\d]+$"#).matches("a"))
    }

    @Test func wordBoundaries() throws {
        #expect(try regex(#"\bcat\b"#).matches("a cat sat"))
        #expect(try !regex(#"\bcat\b"#).matches("concatenate"))
        #expect(try regex(#"\Bcat\B"#).matches("concatenate"))
        #expect(try regex(#"\bé"#).matches(" é") == false)  // é is not a word character, so no boundary before it
        #expect(try regex(#"^\b$"#).matches("") == false)
    }

    @Test func anchorsOnlyAtTheEnds() throws {
        let exact = try regex("^abc$")
        #expect(exact.matches("abc"))
        #expect(!exact.matches("abc\n"))  // $ is not "before a final line break"
        #expect(!exact.matches("\nabc"))
        #expect(!exact.matches("xabc"))
        #expect(try regex("^$").matches(""))
        #expect(try !regex("^$").matches("a"))
        #expect(try regex("a^").matches("a") == false)
        #expect(try regex("b$|^a").matches("ab"))
        #expect(try regex(#"^x(?!\n)$"#).matches("x"))
    }

    @Test func emptyPatternsAndEmptyInput() throws {
        #expect(try regex("").matches(""))
        #expect(try regex("").matches("anything"))
        #expect(try regex("a*").matches(""))
        #expect(try !regex("a+").matches(""))
        #expect(try regex("()").matches(""))
        #expect(try regex("|").matches("x"))
        #expect(try regex("^(?:){2147483647}x{0}$").matches(""))
        #expect(try !regex("^(?:){3}x{0}$").matches("x"))
    }

    @Test func groupsAndAlternation() throws {
        let isbn = try regex(#"^([0-9]{9}[0-9X]|97[89][0-9]{10})(?!\n)$"#)
        #expect(isbn.matches("080442957X"))
        #expect(isbn.matches("9780804429573"))
        #expect(!isbn.matches("9790804429573X"))
        #expect(!isbn.matches("12345"))
        #expect(try regex("^(?:ab|cd)+$").matches("abcdab"))
        #expect(try !regex("^(?:ab|cd)+$").matches("abc"))
        #expect(try regex("^(?<year>[0-9]{4})-(?<month>[0-9]{2})$").matches("2026-11"))
        #expect(try regex("^(a|ab)(c|bcd)(d*)$").matches("abcd"))
    }

    @Test func quantifiers() throws {
        #expect(try regex("^a{3}$").matches("aaa"))
        #expect(try !regex("^a{3}$").matches("aa"))
        #expect(try !regex("^a{3}$").matches("aaaa"))
        #expect(try regex("^a{2,}$").matches("aaaaa"))
        #expect(try !regex("^a{2,}$").matches("a"))
        #expect(try regex("^a{1,3}$").matches("aaa"))
        #expect(try !regex("^a{1,3}$").matches("aaaa"))
        #expect(try regex("^a{0}$").matches(""))
        #expect(try regex("^[ab]{1000}$").matches(String(repeating: "ab", count: 500)))
        #expect(try !regex("^[ab]{1000}$").matches(String(repeating: "ab", count: 499)))
        #expect(try regex("^x[0-9]{2,4}[0-9]y$").matches("x12345y"))  // the run gives digits back
        #expect(try !regex("^x[0-9]{2,4}[0-9]y$").matches("x123456y"))
        #expect(try regex("^é{2}ü*?ü$").matches("ééüü"))
        #expect(try regex("^(0|[1-9][0-9]{0,18})(?!\\n)$").matches("1234567890123456789"))
        #expect(try !regex("^(0|[1-9][0-9]{0,18})(?!\\n)$").matches("12345678901234567890"))
        #expect(try !regex("^(0|[1-9][0-9]{0,18})(?!\\n)$").matches("01"))
        #expect(try regex("^🐲*$").matches("🐲🐲🐲"))
        #expect(try regex("^🐲{2}$").matches("🐲🐲"))  // the quantifier repeats the code point, not a byte
        #expect(try !regex("^🐲{2}$").matches("🐲"))
        #expect(try regex("^a?b+?c*?$").matches("bbb"))
        #expect(try regex("^(a*)*$").matches("aaaa"))  // a nullable atom in a loop ends
        #expect(try regex("^(a|)+b$").matches("aab"))
    }

    @Test func lazyAndGreedyDifferWhereALookaheadFreezesTheChoice() throws {
        // A lookahead is atomic: the capture it made is kept, so \1 sees what the quantifier chose.
        #expect(try regex(#"^(?=(a+))\1$"#).matches("aa"))
        #expect(try !regex(#"^(?=(a+?))\1$"#).matches("aa"))
        #expect(try regex(#"^(?=(a{1,2}?))\1a$"#).matches("aa"))
        #expect(try !regex(#"^(?=(a{1,2}))\1a$"#).matches("aa"))
        #expect(try regex(#"^(?=(a*?)b)"#).matches("aab"))
    }

    @Test func lookaheadAndLookbehind() throws {
        #expect(try regex("foo(?=bar)").matches("foobar"))
        #expect(try !regex("foo(?=bar)").matches("foobaz"))
        #expect(try regex("foo(?!bar)").matches("foobaz"))
        #expect(try !regex("foo(?!bar)").matches("foobar"))
        #expect(try regex("(?<=\\$)[0-9]+").matches("cost: $42"))
        #expect(try !regex("(?<=\\$)[0-9]+").matches("cost: 42"))
        #expect(try regex("(?<!-)\\b[0-9]+").matches("-1 and 2"))
        #expect(try !regex("(?<!-)\\b[0-9]+$").matches("x -12"))
        #expect(try regex("(?<=é)x").matches("éx"))  // steps back over a two-byte scalar
        #expect(try regex("(?<=^a+)b").matches("aaab"))
        #expect(try regex("(?<=(\\d)(\\d))x\\1\\2").matches("12x12"))  // captured right to left, numbered left to right
        #expect(try !regex("(?<=(\\d)(\\d))x\\1\\2").matches("12x21"))
    }

    @Test func backreferences() throws {
        #expect(try regex(#"^(ab|cd)\1$"#).matches("cdcd"))
        #expect(try !regex(#"^(ab|cd)\1$"#).matches("abcd"))
        #expect(try regex(#"^(?<q>['"]).*\k<q>$"#).matches("'it'"))
        #expect(try !regex(#"^(?<q>['"]).*\k<q>$"#).matches("'it\""))
        #expect(try regex(#"^\1(a)$"#).matches("a"))  // a reference to a group not yet matched is empty
        #expect(try regex(#"^(?:(a)|b)\1$"#).matches("b"))
        #expect(try regex(#"^(?:(a)|b)+\1$"#).matches("ab"))  // each iteration resets the group
    }

    @Test func unicodePropertyEscapes() throws {
        #expect(try regex(#"^\p{L}+$"#).matches("éaΩж"))
        #expect(try !regex(#"^\p{L}+$"#).matches("a1"))
        #expect(try regex(#"^\p{Letter}cole$"#).matches("école"))
        #expect(try regex(#"^\p{digit}+$"#).matches("৪২"))
        #expect(try regex(#"^\p{General_Category=Decimal_Number}$"#).matches("7"))
        #expect(try regex(#"^\p{gc=Lu}$"#).matches("É"))
        #expect(try !regex(#"^\p{Lu}$"#).matches("é"))
        #expect(try regex(#"^\P{L}$"#).matches("1"))
        #expect(try regex(#"^[\p{N}\p{Lu}]+$"#).matches("A1Ⅻ"))
        #expect(try !regex(#"^[^\p{L}]$"#).matches("a"))
        #expect(try regex(#"^\p{Emoji}$"#).matches("🐲"))
        #expect(try regex(#"^\p{White_Space}$"#).matches("\u{85}"))
        #expect(try regex(#"^\p{Any}$"#).matches("\u{10FFFF}"))
    }

    @Test func syntaxErrorsSayWhy() {
        #expect(reason("(unclosed")?.contains("group is not closed") == true)
        #expect(reason("([a-z]")?.contains("group is not closed") == true)
        #expect(reason("[")?.contains("class is not closed") == true)
        #expect(reason("a)")?.contains("unmatched") == true)
        #expect(reason("*a")?.contains("nothing to repeat") == true)
        #expect(reason("a**")?.contains("nothing to repeat") == true)
        #expect(reason("a{")?.contains("quantifier") == true)
        #expect(reason("a{2,1}")?.contains("out of order") == true)
        #expect(reason("x{")?.contains("\\{") == true)
        #expect(reason("}")?.contains("lone") == true)
        #expect(reason("]")?.contains("lone") == true)
        #expect(reason("[z-a]")?.contains("out of order") == true)
        #expect(reason(#"[\d-z]"#)?.contains("range") == true)
        #expect(reason(#"\a"#)?.contains("not a valid escape") == true)
        #expect(reason(#"\-"#)?.contains("not a valid escape") == true)
        #expect(reason("a\\")?.contains("lone backslash") == true)
        #expect(reason(#"\2(a)"#)?.contains("has 1") == true)
        #expect(reason(#"\k<x>(?<y>a)"#)?.contains("names no group") == true)
        #expect(reason("(?<a>x)(?<a>y)")?.contains("used twice") == true)
        #expect(reason("(?=a)*")?.contains("cannot be repeated") == true)
        #expect(reason("(?x)")?.contains("must be followed") == true)
        #expect(reason(#"\p{Letters}"#)?.contains("names no Unicode") == true)
        #expect(reason(#"\p{Script=Greek}"#)?.contains("script properties are not supported") == true)
        #expect(reason(#"\u{110000}"#)?.contains("10FFFF") == true)
        #expect(reason(#"\xZ1"#)?.contains("two hexadecimal") == true)
        #expect(reason(#"\c1"#)?.contains("ASCII letter") == true)
        #expect(reason(#"\01"#)?.contains("octal") == true)
        #expect(reason("(?:ab){100000}")?.contains("too large") == true)
        #expect(reason("a{100000}") == nil)  // one scalar repeated is one instruction, whatever the count
        #expect(reason("(?:){2147483647}x") == nil)  // an empty atom compiles to nothing, not a long loop
        #expect(reason("^[a-z0-9][a-z0-9.-]*(?!\\n)$") == nil)
    }

    @Test func hostilePatternsFinish() throws {
        let long = String(repeating: "a", count: 5_000)
        let start = ContinuousClock.now
        // Exponential for a plain backtracker; bounded by the explored-state bitmap here.
        #expect(try !regex("^(a*)*b$").matches(long))
        #expect(try !regex("(a|aa)+c").matches(long))
        #expect(try !regex("(?=(a+)+b)").matches(long))
        #expect(try !regex("^(a|a?)+$").matches(long + "b"))
        #expect(ContinuousClock.now - start < .seconds(20))
        // With a backreference the bitmap does not apply: the step budget ends the search instead.
        #expect(try regex(#"^(a*)*\1b$"#).search(long, length: long.utf8.count) == .gaveUp)
    }
}

private extension ECMARegex {
    func search(_ text: String, length: Int) -> RegexMatcher.Outcome {
        var text = text
        return text.withUTF8 { buffer in
            buffer.withMemoryRebound(to: CChar.self) { search($0.baseAddress!, length: length) }
        }
    }
}

/// The shortcuts that skip the backtracking machine (`RegexProgram.fixedBytes`, `isSingleScalar`) must give
/// the machine's verdicts; each case first checks that the shortcut is the one taken.
@Suite struct RegexShortcutTests {
    private func verdicts(_ source: String, _ inputs: [String]) throws -> [Bool] {
        let regex = try ECMARegex(source)
        return inputs.map { regex.matches($0) }
    }

    @Test func aFixedRunOfASCIIClassesBetweenAnchorsIsCheckedByteByByte() throws {
        let uuid = #"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?!\n)$"#
        #expect(try RegexProgram(uuid).fixedBytes?.count == 36)
        #expect(try verdicts(uuid, [
            "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31",
            "6F1C2A9E-3b7d-4c58-9e21-0a4f5d7b8c31",   // upper case is outside the class
            "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c3",    // one byte short
            "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31\n", // the newline `(?!\n)$` refuses
            "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c3é",   // same scalar count, more bytes
            "",
        ]) == [true, false, false, false, false, false])
        #expect(try verdicts("^a[bc]d$", ["abd", "acd", "add", "abdx"]) == [true, true, false, false])
    }

    @Test func patternsOutsideTheFixedShapeKeepTheMachine() throws {
        for source in ["^[0-9]+$", "^.{3}$", "^(a)b$", "^[a-zé]{2}$", "^a(?!b)c$", "a{3}$", "^ab"] {
            #expect(try RegexProgram(source).fixedBytes == nil, "\(source)")
        }
        #expect(try verdicts("^[a-zé]{2}$", ["éa", "ab", "aé", "a"]) == [true, true, true, false])
    }

    @Test func aSingleClassMatchesAtItsFirstASCIIMember() throws {
        let text = #"[^ \t\r\n]"#
        #expect(try RegexProgram(text).isSingleScalar)
        #expect(try verdicts(text, ["Dune", "  x", " \t\r\n", "", "\u{3000}", " é"]) == [true, true, false, false, true, true])
        // A lead byte among the first bytes may start a scalar outside the class: the machine settles it.
        #expect(try RegexProgram("[^é]").isSingleScalar)
        #expect(try verdicts("[^é]", ["é", "éa", "ê", ""]) == [false, true, true, false])
        #expect(try verdicts("é", ["é", "e", "xé"]) == [true, false, true])
        #expect(try !RegexProgram("^a").isSingleScalar)
    }
}
