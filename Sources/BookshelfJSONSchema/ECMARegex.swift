import CJansson

/// A `pattern` compiled once. JSON Schema patterns are ECMA-262 regular expressions, read here as
/// with the `u` flag (JSON Schema's recommendation): code points, ASCII `\d` and `\w`, ECMA-262's
/// own `\s`, `$` only at the very end, `\p{…}` for general categories and binary properties.
/// They run on our own engine (Regex/): parsed into a tree, compiled into a small backtracking
/// program, matched over the UTF-8 bytes of the jansson string with no allocation in the common
/// case. Patterns are unanchored: `pattern` asks whether the regex matches anywhere.
/// Visible to this package for the tools that match patterns outside a schema (`bookshelf-bench regex`).
package final class ECMARegex: Sendable {
    package struct SyntaxError: Error {
        package let reason: String
    }

    package let source: String
    private let program: RegexProgram
    /// For a program that tests only ASCII and needs no backtracking to decide (see `RegexDFA`).
    private let automaton: RegexDFA?

    package init(_ source: String) throws(SyntaxError) {
        self.source = source
        program = try RegexProgram(source)
        automaton = program.fixedBytes == nil && !program.isSingleScalar ? RegexDFA(program) : nil
    }

    /// For `patternProperties` and `additionalProperties`, a search that gives up counts as no match.
    func matches(_ bytes: UnsafePointer<CChar>, length: Int) -> Bool {
        search(bytes, length: length) == .match
    }

    /// Whether the pattern matches anywhere in the text (a search that gives up counts as no match).
    package func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { search(UnsafeRawBufferPointer($0)) } == .match
    }

    /// Whether the pattern matches, or whether the search gave up (see `RegexMatcher`).
    func search(_ instance: JSONNode) -> RegexMatcher.Outcome {
        search(json_string_value(instance)!, length: json_string_length(instance))
    }

    func search(_ bytes: UnsafePointer<CChar>, length: Int) -> RegexMatcher.Outcome {
        search(UnsafeRawBufferPointer(start: bytes, count: length))
    }

    /// The shortcuts the program allows (see `RegexProgram.fixedBytes`, `isSingleScalar` and `RegexDFA`),
    /// else the backtracking machine, which the tests compare them with.
    private func search(_ text: UnsafeRawBufferPointer) -> RegexMatcher.Outcome {
        if let fixed = program.fixedBytes {
            guard text.count == fixed.count else { return .noMatch }
            return fixed.withUnsafeBufferPointer { sets in
                for index in 0..<sets.count where !sets[index].contains(text[index]) { return .noMatch }
                return .match
            }
        }
        if program.isSingleScalar, let first = program.firstBytes {
            guard let index = text.firstIndex(where: first.contains) else { return .noMatch }
            // A lead byte of a longer scalar may begin one outside the class: the machine decides those.
            if text[index] < 0x80 { return .match }
        }
        if let automaton, !text.isEmpty { return automaton.matches(text) ? .match : .noMatch }
        return RegexMatcher.search(program, in: text)
    }
}
