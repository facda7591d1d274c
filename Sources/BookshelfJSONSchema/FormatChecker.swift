/// `format` as an assertion (opt-in: by default `format` is an annotation only, as in other
/// validators). Covers the formats contracts use; unknown formats always pass.
final class FormatChecker: Sendable {
    let check: @Sendable (String) -> Bool

    init(check: @escaping @Sendable (String) -> Bool) {
        self.check = check
    }

    static let known: [String: FormatChecker] = [
        "date-time": FormatChecker(check: isDateTime),
        "date": FormatChecker(check: isDate),
        "time": FormatChecker(check: isTime),
        "duration": FormatChecker(check: isDuration),
        "email": FormatChecker(check: isEmail),
        "hostname": FormatChecker(check: isHostname),
        "ipv4": FormatChecker(check: isIPv4),
        "ipv6": FormatChecker(check: isIPv6),
        "uuid": FormatChecker(check: isUUID),
        "uri": FormatChecker(check: isURI),
        "uri-reference": FormatChecker(check: isURIReference),
        "json-pointer": FormatChecker(check: isJSONPointer),
        "regex": FormatChecker(check: { (try? RegexProgram($0)) != nil }),
    ]

    private static func digits(_ text: Substring, _ count: Int) -> Int? {
        guard text.count == count, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    /// RFC 3339 full-date, with real month lengths and leap years.
    static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, let year = digits(parts[0], 4), let month = digits(parts[1], 2),
              let day = digits(parts[2], 2), (1...12).contains(month) else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
    }

    /// RFC 3339 full-time: hh:mm:ss[.frac](Z|±hh:mm); a leap second only at 23:59:60 UTC.
    static func isTime(_ text: String) -> Bool {
        let upper = text.uppercased()
        var body = Substring(upper)
        var offsetMinutes = 0
        if body.hasSuffix("Z") {
            body = body.dropLast()
        } else {
            guard let sign = body.lastIndex(where: { $0 == "+" || $0 == "-" }) else { return false }
            let offset = body[body.index(after: sign)...].split(separator: ":", omittingEmptySubsequences: false)
            guard offset.count == 2, let hours = digits(offset[0], 2), let minutes = digits(offset[1], 2),
                  hours < 24, minutes < 60 else { return false }
            offsetMinutes = (hours * 60 + minutes) * (body[sign] == "+" ? 1 : -1)
            body = body[..<sign]
        }
        if let dot = body.firstIndex(of: ".") {
            let fraction = body[body.index(after: dot)...]
            guard !fraction.isEmpty, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
            body = body[..<dot]
        }
        let fields = body.split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 3, let hour = digits(fields[0], 2), let minute = digits(fields[1], 2),
              let second = digits(fields[2], 2), hour < 24, minute < 60, second <= 60 else { return false }
        if second == 60 {
            let utc = ((hour * 60 + minute - offsetMinutes) % 1440 + 1440) % 1440
            return utc == 23 * 60 + 59
        }
        return true
    }

    static func isDateTime(_ text: String) -> Bool {
        guard let separator = text.firstIndex(where: { $0 == "T" || $0 == "t" }) else { return false }
        return isDate(String(text[..<separator])) && isTime(String(text[text.index(after: separator)...]))
    }

    /// ISO 8601 duration as RFC 3339 appendix A restricts it.
    static func isDuration(_ text: String) -> Bool {
        var rest = Substring(text)
        guard rest.popFirst() == "P", !rest.isEmpty else { return false }
        if rest.hasSuffix("W") {
            let number = rest.dropLast()
            return !number.isEmpty && number.allSatisfy { $0.isASCII && $0.isNumber }
        }
        let parts = rest.split(separator: "T", maxSplits: 1, omittingEmptySubsequences: false)
        func units(_ part: Substring, _ order: [Character]) -> Bool? {
            var position = 0
            var number = ""
            var seen = false
            for character in part {
                if character.isASCII && character.isNumber {
                    number.append(character)
                    continue
                }
                guard !number.isEmpty, let index = order[position...].firstIndex(of: character) else { return nil }
                position = index + 1
                number = ""
                seen = true
            }
            return number.isEmpty ? seen : nil
        }
        guard let date = units(parts[0], ["Y", "M", "D"]) else { return false }
        if parts.count == 2 {
            guard let time = units(parts[1], ["H", "M", "S"]), time else { return false }
            return true
        }
        return date
    }

    static func isEmail(_ text: String) -> Bool {
        guard let at = text.lastIndex(of: "@") else { return false }
        let local = text[..<at]
        let domain = text[text.index(after: at)...]
        guard !local.isEmpty, !domain.isEmpty, !local.hasPrefix("."), !local.hasSuffix("."),
              !local.contains("..") else { return false }
        if domain.hasPrefix("[") && domain.hasSuffix("]") {
            let literal = domain.dropFirst().dropLast()
            return literal.hasPrefix("IPv6:") ? isIPv6(String(literal.dropFirst(5))) : isIPv4(String(literal))
        }
        return isHostname(String(domain))
    }

    static func isHostname(_ text: String) -> Bool {
        let name = text.hasSuffix(".") ? String(text.dropLast()) : text
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = Int(part), value <= 255 else { return false }
            return part.count == 1 || part.first != "0"
        }
    }

    static func isIPv6(_ text: String) -> Bool {
        var text = Substring(text)
        var groupsNeeded = 8
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard isIPv4(String(text[text.index(after: lastColon)...])) else { return false }
            text = text[...lastColon]
            if !text.hasSuffix("::") { text = text.dropLast() }
            groupsNeeded = 6
        }
        let halves = text.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return false }
        func groups(_ half: String) -> Int? {
            if half.isEmpty { return 0 }
            let parts = half.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.allSatisfy({ (1...4).contains($0.count) && $0.allSatisfy(\.isHexDigit) && $0.allSatisfy(\.isASCII) }) else {
                return nil
            }
            return parts.count
        }
        guard let first = groups(halves[0]) else { return false }
        if halves.count == 1 { return first == groupsNeeded }
        guard let second = groups(halves[1]) else { return false }
        return first + second < groupsNeeded
    }

    static func isUUID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard Character(Unicode.Scalar(byte)).isHexDigit else { return false }
            }
        }
        return true
    }

    static func isURIReference(_ text: String) -> Bool {
        !text.unicodeScalars.contains { $0.value <= 0x20 || $0.value >= 0x7F || "\"<>\\^`{|}".unicodeScalars.contains($0) }
    }

    static func isURI(_ text: String) -> Bool {
        guard isURIReference(text) else { return false }
        return URIReference(text).scheme != nil
    }

    static func isJSONPointer(_ text: String) -> Bool {
        guard text.isEmpty || text.hasPrefix("/") else { return false }
        var characters = Substring(text)
        while let character = characters.popFirst() {
            if character == "~" {
                guard let next = characters.popFirst(), next == "0" || next == "1" else { return false }
            }
        }
        return true
    }
}
