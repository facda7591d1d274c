/// The syntax tree of an ECMA-262 pattern.
indirect enum RegexNode {
    case empty
    case scalar(UInt32)
    case set(ScalarClass)
    case sequence([RegexNode])
    case alternation([RegexNode])
    /// A group; `capture` is the 1-based number of a capturing group.
    case group(RegexNode, capture: Int?)
    /// `groups` are the capturing groups inside the atom, reset at the start of every iteration.
    case repetition(RegexNode, min: Int, max: Int?, greedy: Bool, groups: Range<Int>)
    case inputStart
    case inputEnd
    case wordBoundary(negated: Bool)
    case look(RegexNode, behind: Bool, negated: Bool)
    case backreference(Int)

    /// Whether the node can match the empty string.
    var nullable: Bool {
        switch self {
        case .scalar, .set: false
        case .sequence(let items): items.allSatisfy(\.nullable)
        case .alternation(let alternatives): alternatives.contains(where: \.nullable)
        case .group(let inner, _): inner.nullable
        case .repetition(let atom, let min, _, _, _): min == 0 || atom.nullable
        case .empty, .inputStart, .inputEnd, .wordBoundary, .look, .backreference: true
        }
    }
}

/// Parses ECMA-262 pattern syntax as the `u` flag defines it (no Annex B leniency: a lone `{`, `}` or
/// `]`, an unknown escape or a quantified lookaround is an error, as in a JavaScript engine).
struct RegexParser {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var groupCount = 0
    private let totalGroups: Int
    private let groupNames: [String: Int]
    private(set) var hasBackreferences = false

    init(_ source: String) throws(ECMARegex.SyntaxError) {
        scalars = Array(source.unicodeScalars)
        (totalGroups, groupNames) = try Self.scanGroups(scalars)
    }

    mutating func parse() throws(ECMARegex.SyntaxError) -> (node: RegexNode, groups: Int) {
        let node = try parseDisjunction()
        if index < scalars.count { throw error("an unmatched \")\"") }
        return (node, groupCount)
    }

    /// Group numbers and names before parsing: ECMA-262 lets `\2` or `\k<name>` refer to a group
    /// that comes later, and decides by the pattern's total number of groups whether `\N` is valid.
    private static func scanGroups(_ scalars: [Unicode.Scalar]) throws(ECMARegex.SyntaxError) -> (Int, [String: Int]) {
        var count = 0
        var names: [String: Int] = [:]
        var inClass = false
        var index = 0
        while index < scalars.count {
            switch scalars[index] {
            case "\\": index += 1
            case "[": inClass = true
            case "]": inClass = false
            case "(" where !inClass:
                if index + 1 < scalars.count, scalars[index + 1] == "?" {
                    guard index + 2 < scalars.count, scalars[index + 2] == "<",
                          index + 3 < scalars.count, scalars[index + 3] != "=", scalars[index + 3] != "!" else { break }
                    count += 1
                    var name = ""
                    var end = index + 3
                    while end < scalars.count, scalars[end] != ">" {
                        name.unicodeScalars.append(scalars[end])
                        end += 1
                    }
                    if names[name] != nil {
                        throw ECMARegex.SyntaxError(reason: "the group name \"\(name)\" is used twice")
                    }
                    names[name] = count
                } else {
                    count += 1
                }
            default: break
            }
            index += 1
        }
        return (count, names)
    }

    private var peek: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    private func error(_ reason: String) -> ECMARegex.SyntaxError {
        ECMARegex.SyntaxError(reason: "\(reason) at offset \(min(index, scalars.count))")
    }

    private mutating func take(_ expected: Unicode.Scalar) -> Bool {
        guard peek == expected else { return false }
        index += 1
        return true
    }

    private mutating func parseDisjunction() throws(ECMARegex.SyntaxError) -> RegexNode {
        var alternatives = [try parseAlternative()]
        while take("|") { alternatives.append(try parseAlternative()) }
        return alternatives.count == 1 ? alternatives[0] : .alternation(alternatives)
    }

    private mutating func parseAlternative() throws(ECMARegex.SyntaxError) -> RegexNode {
        var terms: [RegexNode] = []
        while let next = peek, next != "|", next != ")" { terms.append(try parseTerm()) }
        switch terms.count {
        case 0: return .empty
        case 1: return terms[0]
        default: return .sequence(terms)
        }
    }

    private mutating func parseTerm() throws(ECMARegex.SyntaxError) -> RegexNode {
        let groupsBefore = groupCount
        let atom: RegexNode
        switch scalars[index] {
        case "^": index += 1; return .inputStart
        case "$": index += 1; return .inputEnd
        case "\\" where index + 1 < scalars.count && (scalars[index + 1] == "b" || scalars[index + 1] == "B"):
            index += 2
            return .wordBoundary(negated: scalars[index - 1] == "B")
        case "(" where index + 2 < scalars.count && scalars[index + 1] == "?"
            && (scalars[index + 2] == "=" || scalars[index + 2] == "!" || (scalars[index + 2] == "<" && index + 3 < scalars.count
                && (scalars[index + 3] == "=" || scalars[index + 3] == "!"))):
            index += 2
            let behind = take("<")
            let negated = scalars[index] == "!"
            index += 1
            let body = try parseDisjunction()
            guard take(")") else { throw error("a lookaround is not closed") }
            if let next = peek, "*+?{".unicodeScalars.contains(next) {
                throw error("a lookaround assertion cannot be repeated")
            }
            return .look(body, behind: behind, negated: negated)
        default:
            atom = try parseAtom()
        }
        guard let (min, max) = try parseQuantifier() else { return atom }
        let greedy = !take("?")
        return .repetition(atom, min: min, max: max, greedy: greedy, groups: groupsBefore..<groupCount)
    }

    private mutating func parseQuantifier() throws(ECMARegex.SyntaxError) -> (Int, Int?)? {
        switch peek {
        case "*": index += 1; return (0, nil)
        case "+": index += 1; return (1, nil)
        case "?": index += 1; return (0, 1)
        case "{":
            index += 1
            guard let min = parseNumber() else { throw error("\"{\" does not start a quantifier {n}, {n,} or {n,m} (escape it as \\{)") }
            var max: Int? = min
            if take(",") { max = parseNumber() }
            guard take("}") else { throw error("a quantifier {…} is not closed") }
            if let max, max < min { throw error("the quantifier {\(min),\(max)} has its bounds out of order") }
            return (min, max)
        default:
            return nil
        }
    }

    private mutating func parseNumber() -> Int? {
        var value: Int?
        while let next = peek, let digit = (0x30...0x39).contains(next.value) ? Int(next.value - 0x30) : nil {
            value = min((value ?? 0) * 10 + digit, Int(Int32.max))
            index += 1
        }
        return value
    }

    private mutating func parseAtom() throws(ECMARegex.SyntaxError) -> RegexNode {
        let next = scalars[index]
        index += 1
        switch next {
        case ".": return .set(.dot)
        case "(":
            var capture: Int?
            if take("?") {
                if take("<") {
                    var name = ""
                    while let scalar = peek, scalar != ">" {
                        guard scalar.properties.isIDContinue || scalar == "$" else { throw error("\"\(scalar)\" cannot be part of a group name") }
                        name.unicodeScalars.append(scalar)
                        index += 1
                    }
                    guard take(">"), let first = name.unicodeScalars.first, first.properties.isIDStart || first == "$" || first == "_" else {
                        throw error("a group name must be an identifier between < and >")
                    }
                    groupCount += 1
                    capture = groupCount
                } else if !take(":") {
                    throw error("\"(?\" must be followed by \":\", \"=\", \"!\", \"<=\", \"<!\" or \"<name>\"")
                }
            } else {
                groupCount += 1
                capture = groupCount
            }
            let inner = try parseDisjunction()
            guard take(")") else { throw error("a group is not closed") }
            return .group(inner, capture: capture)
        case "[": return try parseClass()
        case "\\": return try parseAtomEscape()
        case "*", "+", "?": throw error("\"\(next)\" has nothing to repeat")
        case "{": throw error("\"{\" has nothing to repeat (escape it as \\{)")
        case "}", "]": throw error("a lone \"\(next)\" (escape it with a backslash)")
        default: return .scalar(next.value)
        }
    }

    private mutating func parseAtomEscape() throws(ECMARegex.SyntaxError) -> RegexNode {
        guard let next = peek else { throw error("the pattern ends with a lone backslash") }
        if let number = next.isASCII && next.value >= 0x31 && next.value <= 0x39 ? parseNumber() : nil {
            guard number <= totalGroups else {
                throw error("\\\(number) refers to a group the pattern does not have (it has \(totalGroups))")
            }
            hasBackreferences = true
            return .backreference(number)
        }
        if next == "k" {
            index += 1
            guard take("<") else { throw error("\\k must be followed by <name>") }
            let name = scan(upTo: ">")
            guard take(">"), let number = groupNames[name] else { throw error("\\k<\(name)> names no group of the pattern") }
            hasBackreferences = true
            return .backreference(number)
        }
        if let set = try parseClassEscape() { return .set(set) }
        return .scalar(try parseCharacterEscape(inClass: false))
    }

    /// The scalars before the next `end` (or the end of the pattern), consumed; `end` itself is not.
    private mutating func scan(upTo end: Unicode.Scalar) -> String {
        var text = ""
        while let scalar = peek, scalar != end {
            text.unicodeScalars.append(scalar)
            index += 1
        }
        return text
    }

    /// `\d \D \s \S \w \W \p{…} \P{…}`, or nil (nothing consumed) for any other escape.
    private mutating func parseClassEscape() throws(ECMARegex.SyntaxError) -> ScalarClass? {
        guard let next = peek else { throw error("the pattern ends with a lone backslash") }
        switch next {
        case "d": index += 1; return ScalarClass(ranges: ScalarClass.digit)
        case "D": index += 1; return ScalarClass(ranges: ScalarClass.digit, negated: true)
        case "w": index += 1; return ScalarClass(ranges: ScalarClass.word)
        case "W": index += 1; return ScalarClass(ranges: ScalarClass.word, negated: true)
        case "s": index += 1; return ScalarClass(ranges: ScalarClass.space)
        case "S": index += 1; return ScalarClass(ranges: ScalarClass.space, negated: true)
        case "p", "P":
            index += 1
            guard take("{") else { throw error("\\\(next) must be followed by {property}") }
            let name = scan(upTo: "}")
            guard take("}") else { throw error("\\\(next){ is not closed") }
            if PropertyTest.isUnsupportedKnownName(name) {
                throw error("\\\(next){\(name)}: Unicode script properties are not supported by this engine")
            }
            guard let test = PropertyTest.parse(name, negated: next == "P") else {
                throw error("\\\(next){\(name)} names no Unicode general category or supported binary property")
            }
            return ScalarClass(ranges: [], properties: [test])
        default:
            return nil
        }
    }

    /// A CharacterEscape (the backslash already consumed), as a scalar value (a lone surrogate stays
    /// a value no UTF-8 input can contain).
    private mutating func parseCharacterEscape(inClass: Bool) throws(ECMARegex.SyntaxError) -> UInt32 {
        let next = scalars[index]
        index += 1
        switch next {
        case "t": return 0x09
        case "n": return 0x0A
        case "v": return 0x0B
        case "f": return 0x0C
        case "r": return 0x0D
        case "b" where inClass: return 0x08
        case "-" where inClass: return 0x2D
        case "0":
            if let digit = peek, (0x30...0x39).contains(digit.value) {
                throw error("\\0 followed by a digit (an octal escape) is not allowed")
            }
            return 0
        case "c":
            guard let letter = peek, letter.isASCII, letter.properties.isAlphabetic else {
                throw error("\\c must be followed by an ASCII letter")
            }
            index += 1
            return letter.value % 32
        case "x":
            guard let value = parseHex(count: 2) else { throw error("\\x must be followed by two hexadecimal digits") }
            return value
        case "u":
            if take("{") {
                var value: UInt32 = 0
                var digits = 0
                while let scalar = peek, let digit = scalar.hexDigitValue {
                    value = min(value * 16 + digit, 0x110000)
                    digits += 1
                    index += 1
                }
                guard digits > 0, take("}"), value <= 0x10FFFF else { throw error("\\u{…} must hold a code point up to 10FFFF") }
                return value
            }
            guard let value = parseHex(count: 4) else { throw error("\\u must be followed by four hexadecimal digits or {…}") }
            if (0xD800...0xDBFF).contains(value), index + 1 < scalars.count, scalars[index] == "\\", scalars[index + 1] == "u" {
                let saved = index
                index += 2
                if let low = parseHex(count: 4), (0xDC00...0xDFFF).contains(low) {
                    return 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                }
                index = saved
            }
            return value
        default:
            guard "^$\\.*+?()[]{}|/".unicodeScalars.contains(next) else {
                throw error("\\\(next) is not a valid escape with the u flag")
            }
            return next.value
        }
    }

    private mutating func parseHex(count: Int) -> UInt32? {
        guard index + count <= scalars.count else { return nil }
        var value: UInt32 = 0
        for offset in 0..<count {
            guard let digit = scalars[index + offset].hexDigitValue else { return nil }
            value = value * 16 + digit
        }
        index += count
        return value
    }

    private mutating func parseClass() throws(ECMARegex.SyntaxError) -> RegexNode {
        let negated = take("^")
        var ranges: [ClosedRange<UInt32>] = []
        var properties: [PropertyTest] = []
        while true {
            guard peek != nil else { throw error("a character class is not closed") }
            if take("]") { break }
            let first = try parseClassAtom()
            if peek == "-", index + 1 < scalars.count, scalars[index + 1] != "]" {
                index += 1
                let second = try parseClassAtom()
                guard case .scalar(let low) = first, case .scalar(let high) = second else {
                    throw error("a class escape such as \\d cannot be the end of a range")
                }
                guard low <= high else { throw error("the class range is out of order") }
                ranges.append(low...high)
                continue
            }
            switch first {
            case .scalar(let value): ranges.append(value...value)
            case .set(let set):
                // Class escapes carry either ranges (\D \W \S: negated ranges) or properties, never both.
                ranges += set.negated ? ScalarClass.complement(set.ranges) : set.ranges
                properties += set.properties
            }
        }
        return .set(ScalarClass(ranges: ranges, properties: properties, negated: negated))
    }

    private enum ClassAtom {
        case scalar(UInt32)
        case set(ScalarClass)
    }

    private mutating func parseClassAtom() throws(ECMARegex.SyntaxError) -> ClassAtom {
        let next = scalars[index]
        index += 1
        guard next == "\\" else { return .scalar(next.value) }
        guard peek != nil else { throw error("the pattern ends with a lone backslash") }
        if let set = try parseClassEscape() { return .set(set) }
        return .scalar(try parseCharacterEscape(inClass: true))
    }
}

private extension Unicode.Scalar {
    var hexDigitValue: UInt32? {
        switch value {
        case 0x30...0x39: value - 0x30
        case 0x41...0x46: value - 0x37
        case 0x61...0x66: value - 0x57
        default: nil
        }
    }
}
