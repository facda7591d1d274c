/// A set of Unicode scalars: a character class, `.`, `\d`, `\p{…}` and their negations. Membership of
/// ASCII scalars is one bit test; the rest goes through sorted ranges and property tests.
struct ScalarClass: Sendable {
    /// Membership of U+0000…U+007F with negation already applied.
    private let asciiLow: UInt64
    private let asciiHigh: UInt64
    /// Sorted, disjoint, non-adjacent closed ranges (before negation).
    let ranges: [ClosedRange<UInt32>]
    let properties: [PropertyTest]
    let negated: Bool

    init(ranges: [ClosedRange<UInt32>], properties: [PropertyTest] = [], negated: Bool = false) {
        let merged = Self.normalize(ranges)
        self.ranges = merged
        self.properties = properties
        self.negated = negated
        var low: UInt64 = 0
        var high: UInt64 = 0
        for value in UInt32(0)..<128 where Self.slowContains(value, merged, properties) != negated {
            if value < 64 { low |= 1 << UInt64(value) } else { high |= 1 << UInt64(value - 64) }
        }
        asciiLow = low
        asciiHigh = high
    }

    @inline(__always)
    func contains(_ value: UInt32) -> Bool {
        if value < 64 { return asciiLow & (1 << UInt64(value)) != 0 }
        if value < 128 { return asciiHigh & (1 << UInt64(value - 64)) != 0 }
        return Self.slowContains(value, ranges, properties) != negated
    }

    /// Whether some non-ASCII scalar belongs to the class (for the first-byte prefilter).
    var admitsNonASCII: Bool {
        negated || !properties.isEmpty || (ranges.last.map { $0.upperBound >= 128 } ?? false)
    }

    private static func slowContains(_ value: UInt32, _ ranges: [ClosedRange<UInt32>], _ properties: [PropertyTest]) -> Bool {
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].upperBound < value {
                low = middle + 1
            } else if ranges[middle].lowerBound > value {
                high = middle
            } else {
                return true
            }
        }
        guard !properties.isEmpty, let scalar = Unicode.Scalar(value) else { return false }
        return properties.contains { $0.contains(scalar) }
    }

    static func normalize(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var merged: [ClosedRange<UInt32>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// The complement within U+0000…U+10FFFF (for `\D`, `\W`, `\S` inside a class).
    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in normalize(ranges) {
            if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
            next = range.upperBound + 1
        }
        if next <= 0x10FFFF { result.append(next...0x10FFFF) }
        return result
    }

    // ECMA-262's meanings with the `u` flag and without `i`: ASCII digits and word characters, and
    // WhiteSpace plus LineTerminator for `\s`.
    static let digit: [ClosedRange<UInt32>] = [0x30...0x39]
    static let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
    static let space: [ClosedRange<UInt32>] = [
        0x09...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A, 0x2028...0x2029,
        0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000, 0xFEFF...0xFEFF,
    ]
    static let lineTerminators: [ClosedRange<UInt32>] = [0x0A...0x0A, 0x0D...0x0D, 0x2028...0x2029]
    static let dot = ScalarClass(ranges: complement(lineTerminators))

    @inline(__always)
    static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x5F
    }
}

/// `\p{…}` or `\P{…}`: a general category (or a group of them) or a binary property.
struct PropertyTest: Sendable {
    enum Kind: Sendable {
        case categories(UInt32)
        case any, ascii, assigned, alphabetic, whiteSpace, uppercase, lowercase, asciiHexDigit, hexDigit
        case emoji, math, dash, ideographic, noncharacter, idStart, idContinue
    }

    let kind: Kind
    let negated: Bool

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        let result: Bool
        switch kind {
        case .categories(let mask): result = mask & Self.bit(properties.generalCategory) != 0
        case .any: result = true
        case .ascii: result = scalar.isASCII
        case .assigned: result = properties.generalCategory != .unassigned
        case .alphabetic: result = properties.isAlphabetic
        case .whiteSpace: result = properties.isWhitespace
        case .uppercase: result = properties.isUppercase
        case .lowercase: result = properties.isLowercase
        case .asciiHexDigit: result = properties.isASCIIHexDigit
        case .hexDigit: result = properties.isHexDigit
        case .emoji: result = properties.isEmoji
        case .math: result = properties.isMath
        case .dash: result = properties.isDash
        case .ideographic: result = properties.isIdeographic
        case .noncharacter: result = properties.isNoncharacterCodePoint
        case .idStart: result = properties.isIDStart
        case .idContinue: result = properties.isIDContinue
        }
        return result != negated
    }

    /// Parses the text between the braces of `\p{…}`, as ECMA-262 spells it (names are case-sensitive).
    static func parse(_ text: String, negated: Bool) -> PropertyTest? {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard parts[0] == "General_Category" || parts[0] == "gc", let mask = categoryMasks[String(parts[1])] else { return nil }
            return PropertyTest(kind: .categories(mask), negated: negated)
        }
        if let mask = categoryMasks[text] { return PropertyTest(kind: .categories(mask), negated: negated) }
        return binaryProperties[text].map { PropertyTest(kind: $0, negated: negated) }
    }

    /// Whether the name is one ECMA-262 knows but this engine cannot test (scripts).
    static func isUnsupportedKnownName(_ text: String) -> Bool {
        ["Script", "sc", "Script_Extensions", "scx"].contains { text.hasPrefix($0 + "=") }
    }

    static func bit(_ category: Unicode.GeneralCategory) -> UInt32 {
        1 << UInt32(order.firstIndex(of: category)!)
    }

    private static let order: [Unicode.GeneralCategory] = [
        .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
        .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber,
        .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
        .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol,
        .spaceSeparator, .lineSeparator, .paragraphSeparator, .control, .format, .surrogate, .privateUse,
        .unassigned,
    ]

    /// Every General_Category value name and alias of Unicode's PropertyValueAliases.txt.
    private static let categoryMasks: [String: UInt32] = {
        func mask(_ categories: [Unicode.GeneralCategory]) -> UInt32 { categories.reduce(0) { $0 | bit($1) } }
        let table: [([String], [Unicode.GeneralCategory])] = [
            (["Lu", "Uppercase_Letter"], [.uppercaseLetter]),
            (["Ll", "Lowercase_Letter"], [.lowercaseLetter]),
            (["Lt", "Titlecase_Letter"], [.titlecaseLetter]),
            (["LC", "Cased_Letter"], [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter]),
            (["Lm", "Modifier_Letter"], [.modifierLetter]),
            (["Lo", "Other_Letter"], [.otherLetter]),
            (["L", "Letter"], [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter]),
            (["Mn", "Nonspacing_Mark"], [.nonspacingMark]),
            (["Mc", "Spacing_Mark"], [.spacingMark]),
            (["Me", "Enclosing_Mark"], [.enclosingMark]),
            (["M", "Mark", "Combining_Mark"], [.nonspacingMark, .spacingMark, .enclosingMark]),
            (["Nd", "Decimal_Number", "digit"], [.decimalNumber]),
            (["Nl", "Letter_Number"], [.letterNumber]),
            (["No", "Other_Number"], [.otherNumber]),
            (["N", "Number"], [.decimalNumber, .letterNumber, .otherNumber]),
            (["Pc", "Connector_Punctuation"], [.connectorPunctuation]),
            (["Pd", "Dash_Punctuation"], [.dashPunctuation]),
            (["Ps", "Open_Punctuation"], [.openPunctuation]),
            (["Pe", "Close_Punctuation"], [.closePunctuation]),
            (["Pi", "Initial_Punctuation"], [.initialPunctuation]),
            (["Pf", "Final_Punctuation"], [.finalPunctuation]),
            (["Po", "Other_Punctuation"], [.otherPunctuation]),
            (["P", "Punctuation", "punct"], [.connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                                             .initialPunctuation, .finalPunctuation, .otherPunctuation]),
            (["Sm", "Math_Symbol"], [.mathSymbol]),
            (["Sc", "Currency_Symbol"], [.currencySymbol]),
            (["Sk", "Modifier_Symbol"], [.modifierSymbol]),
            (["So", "Other_Symbol"], [.otherSymbol]),
            (["S", "Symbol"], [.mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol]),
            (["Zs", "Space_Separator"], [.spaceSeparator]),
            (["Zl", "Line_Separator"], [.lineSeparator]),
            (["Zp", "Paragraph_Separator"], [.paragraphSeparator]),
            (["Z", "Separator"], [.spaceSeparator, .lineSeparator, .paragraphSeparator]),
            (["Cc", "Control", "cntrl"], [.control]),
            (["Cf", "Format"], [.format]),
            (["Cs", "Surrogate"], [.surrogate]),
            (["Co", "Private_Use"], [.privateUse]),
            (["Cn", "Unassigned"], [.unassigned]),
            (["C", "Other"], [.control, .format, .surrogate, .privateUse, .unassigned]),
        ]
        var masks: [String: UInt32] = [:]
        for (names, categories) in table {
            for name in names { masks[name] = mask(categories) }
        }
        return masks
    }()

    private static let binaryProperties: [String: Kind] = [
        "Any": .any, "ASCII": .ascii, "Assigned": .assigned,
        "Alphabetic": .alphabetic, "Alpha": .alphabetic, "White_Space": .whiteSpace, "space": .whiteSpace,
        "Uppercase": .uppercase, "Upper": .uppercase, "Lowercase": .lowercase, "Lower": .lowercase,
        "ASCII_Hex_Digit": .asciiHexDigit, "AHex": .asciiHexDigit, "Hex_Digit": .hexDigit, "Hex": .hexDigit,
        "Emoji": .emoji, "Math": .math, "Dash": .dash, "Ideographic": .ideographic, "Ideo": .ideographic,
        "Noncharacter_Code_Point": .noncharacter, "NChar": .noncharacter,
        "ID_Start": .idStart, "IDS": .idStart, "ID_Continue": .idContinue, "IDC": .idContinue,
    ]
}
