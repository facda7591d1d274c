import CJansson
import Foundation

/// A `pattern` compiled once. JSON Schema patterns are ECMA-262 regular expressions; they run on
/// ICU (through Foundation's NSRegularExpression) after a translation of the places where ICU's
/// dialect means something else:
/// - `\d`, `\w` and their negations are ASCII-only in ECMA-262 (ICU: any Unicode digit/letter);
/// - `\s` is ECMA-262's own list of white space and line terminators;
/// - `$` matches only at the very end (ICU also matches before a final line break).
/// ICU was chosen over POSIX regex (no `\d`, lazy quantifiers, look-around or `\p{…}`) and
/// Swift Regex (a different syntax and, measured here, slower to match): its syntax is a
/// superset of the ECMA-262 features schemas use, matching by code point as ECMA-262 does with
/// the `u` flag. Patterns are unanchored: `pattern` asks whether the regex matches anywhere.
final class ECMARegex: @unchecked Sendable {
    struct SyntaxError: Error {
        let reason: String
    }

    let source: String
    private let regex: NSRegularExpression
    /// A pattern that is only a literal string: matched by a byte search, no regex engine.
    private let literal: [UInt8]?

    init(_ source: String) throws(SyntaxError) {
        self.source = source
        let translated = try Self.translate(source)
        do {
            regex = try NSRegularExpression(pattern: translated, options: [])
        } catch {
            throw SyntaxError(reason: "the pattern does not compile")
        }
        let plain = source.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "-" || $0 == "_" || $0 == " " }
        literal = plain && !source.isEmpty ? Array(source.utf8) : nil
    }

    func matches(_ instance: JSONNode) -> Bool {
        matches(json_string_value(instance)!, length: json_string_length(instance))
    }

    func matches(_ bytes: UnsafePointer<CChar>, length: Int) -> Bool {
        let buffer = UnsafeRawBufferPointer(start: bytes, count: length)
        if let literal {
            guard literal.count <= length else { return false }
            let last = length - literal.count
            let first = literal[0]
            var start = 0
            while start <= last {
                if buffer[start] == first && literal.indices.allSatisfy({ buffer[start + $0] == literal[$0] }) { return true }
                start += 1
            }
            return false
        }
        let text = String(decoding: buffer, as: UTF8.self)
        return regex.firstMatch(in: text, options: [], range: NSRange(location: 0, length: text.utf16.count)) != nil
    }

    /// Rewrites an ECMA-262 pattern into ICU syntax with the same meaning (see the type's note).
    static func translate(_ source: String) throws(SyntaxError) -> String {
        let whitespace = #"\t\n\u000B\f\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF"#
        var output = ""
        var inClass = false
        var iterator = Array(source.unicodeScalars)[...]
        while let scalar = iterator.popFirst() {
            switch scalar {
            case "\\":
                guard let escaped = iterator.popFirst() else { throw SyntaxError(reason: "it ends with a lone backslash") }
                switch escaped {
                case "d": output += inClass ? "0-9" : "[0-9]"
                case "D": output += inClass ? "[^0-9]" : "[^0-9]"
                case "w": output += inClass ? "a-zA-Z0-9_" : "[a-zA-Z0-9_]"
                case "W": output += "[^a-zA-Z0-9_]"
                case "s": output += inClass ? whitespace : "[\(whitespace)]"
                case "S": output += "[^\(whitespace)]"
                default:
                    output.unicodeScalars.append("\\")
                    output.unicodeScalars.append(escaped)
                }
            case "[" where !inClass:
                inClass = true
                output += "["
                if iterator.first == "^" { output += "^"; iterator.removeFirst() }
                // ECMA-262 takes a leading "]" as the end of an empty class; ICU as a literal.
                if iterator.first == "]" {
                    iterator.removeFirst()
                    inClass = false
                    output += output.hasSuffix("[^") ? "\\s\\S]" : "^\\s\\S]"
                }
            case "[" where inClass:
                // ICU reads a nested "[" as a set; ECMA-262 as a literal bracket.
                output += "\\["
            case "]" where inClass:
                inClass = false
                output += "]"
            case "$" where !inClass:
                output += "\\z"
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        if inClass { throw SyntaxError(reason: "a character class is not closed") }
        return output
    }
}
