import BookshelfJSON
import CJansson
import Foundation
import Testing

/// `JSONValue(parsing:)` reads with `JSONReader`, which must give jansson's `json_loadb` verdicts and values
/// (with Bookshelf's flags) on every input. These tests compare the two directly: the contracts' files,
/// edge cases, and seeded random mutations of valid documents.
@Suite struct JSONReaderTests {
    // MARK: - Behaviour, stated on its own

    @Test func numbers() throws {
        #expect(try JSONValue(parsing: "-0").number == .integer(0))
        #expect(try JSONValue(parsing: "1.0").number.map { if case .real(1.0) = $0 { true } else { false } } == true)
        #expect(try JSONValue(parsing: "9223372036854775807").number == .integer(Int.max))
        #expect(try JSONValue(parsing: "-9223372036854775808").number == .integer(Int.min))
        // Beyond 64 bits the whole document is read with reals, as jansson's second pass does.
        let wide = try JSONValue(parsing: "[9223372036854775808, 1]")
        guard case .real(9_223_372_036_854_775_808.0)? = wide[0]?.number, case .real(1.0)? = wide[1]?.number else {
            Issue.record("expected reals, got \(wide)")
            return
        }
        #expect(try JSONValue(parsing: "1E-400").double == 0)
        #expect(try JSONValue(parsing: "5e-324").double == Double.leastNonzeroMagnitude)
        for text in ["1e400", "-1e400", "-", "01", "-01", "1.", ".5", "1e", "1e+", "+1", "0x10", "1.5.2", "NaN", "Infinity"] {
            #expect(throws: JSONParseError.self, "\(text)") { try JSONValue(parsing: text) }
        }
    }

    @Test func strings() throws {
        #expect(try JSONValue(parsing: #""\"\\\/\b\f\n\r\t""#).string == "\"\\/\u{8}\u{C}\n\r\t")
        #expect(try JSONValue(parsing: #""a\u0000b""#).withUTF8(Array.init) == [0x61, 0, 0x62])
        #expect(try JSONValue(parsing: #""\ud834\uDD1E""#).string == "𝄞")
        #expect(try JSONValue(parsing: #""\u00e9""#).string == "é")
        let invalid: [[UInt8]] = [
            Array(#""\ud834""#.utf8), Array(#""\udd1e""#.utf8), Array(#""\ud834\u0041""#.utf8), Array(#""\x""#.utf8),
            Array(#""\u12""#.utf8), Array("\"a\nb\"".utf8), Array("\"\t\"".utf8), Array("\"abc".utf8),
            [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xE0, 0x80, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
            [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xC3, 0x22],
            [0x22, 0x80, 0x22], [0x22, 0xFF, 0x22],
        ]
        for bytes in invalid {
            #expect(throws: JSONParseError.self, "\(bytes)") { try JSONValue(parsing: bytes) }
        }
        // A key may not contain NUL (jansson's rule), a value may.
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: #"{"a\u0000":1}"#) }
    }

    @Test func structure() throws {
        for text in ["", " ", "{} x", "{}{}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{1:2}", "[1 2]", "\u{C}1", "1\u{C}", "tru", "nul", "[true1]"] {
            #expect(throws: JSONParseError.self, "\(text.debugDescription)") { try JSONValue(parsing: text) }
        }
        #expect(try JSONValue(parsing: " \t\r\n[ ] ").count == 0)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: [0x31, 0x00]) }
    }

    @Test func depthLimitIsJanssons() throws {
        // 2048 levels, scalars counting as one: 2048 nested arrays, or 2047 around a scalar.
        #expect(try JSONValue(parsing: String(repeating: "[", count: 2048) + String(repeating: "]", count: 2048)).isArray)
        #expect(try JSONValue(parsing: String(repeating: "[", count: 2047) + "1" + String(repeating: "]", count: 2047)).isArray)
        #expect(throws: JSONParseError.self) {
            try JSONValue(parsing: String(repeating: "[", count: 2049) + String(repeating: "]", count: 2049))
        }
        #expect(throws: JSONParseError.self) {
            try JSONValue(parsing: String(repeating: "[", count: 2048) + "1" + String(repeating: "]", count: 2048))
        }
        #expect(throws: JSONParseError.self) {
            try JSONValue(parsing: String(repeating: "{\"a\":", count: 2048) + "1" + String(repeating: "}", count: 2048))
        }
    }

    @Test func errorsPointAtTheOffendingToken() {
        let cases: [(text: String, line: Int, column: Int, offset: Int, message: String)] = [
            ("{\"a\":1 \"b\"", 1, 8, 7, "'}' expected near '\"b\"'"),
            ("[1,\n  x]", 2, 3, 6, "invalid token near 'x'"),
            ("[\"é\", tru]", 1, 7, 7, "invalid token near 'tru'"),
            ("{\"a\":", 1, 6, 5, "unexpected token near end of file"),
            ("\"ab\ncd\"", 1, 4, 3, "unexpected newline"),
            ("[1] 2", 1, 5, 4, "end of file expected near '2'"),
        ]
        for expected in cases {
            do {
                _ = try JSONValue(parsing: expected.text)
                Issue.record("\(expected.text.debugDescription) parsed")
            } catch {
                #expect(error.code == .malformed)
                #expect(error.message == expected.message, "\(expected.text.debugDescription)")
                #expect([error.line, error.column, error.offset] as [Int] == [expected.line, expected.column, expected.offset],
                        "\(expected.text.debugDescription): \(error)")
            }
        }
    }

    @Test func readsFiles() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reader-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Larger than one read, so that the file is read in several chunks.
        let large = "[" + Array(repeating: "\"0123456789abcdef\"", count: 10_000).joined(separator: ",") + "]"
        try large.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try JSONValue(contentsOfFile: path).count == 10_000)
        try "{\"a\":".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: JSONParseError.self) { try JSONValue(contentsOfFile: path) }
    }

    @Test func writesLongStringsWithEscapes() throws {
        let text = String(repeating: "a\"\\\u{1}é\n", count: 3_000)
        let value = JSONValue.array([.string(text), .number(-9_223_372_036_854_775_808), .number(0), .number(1e-7)])
        let written = value.serialized()
        #expect(written.hasPrefix(#"["a\"\\\u0001é\na"#))
        #expect(written.hasSuffix(#",-9223372036854775808,0,1e-07]"#))
        #expect(try JSONValue(parsing: written)[0]?.string == text)
    }

    // MARK: - The same verdicts and values as jansson

    @Test func agreesWithJanssonOnTheContracts() throws {
        let files = Self.contractFiles()
        #expect(files.count > 50)
        for file in files {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
            try Self.expectAgreement(bytes, label: file)
            try Self.expectAgreement(bytes, rejectingDuplicateKeys: true, label: file)
        }
    }

    @Test func agreesWithJanssonOnEdgeCases() throws {
        var cases: [[UInt8]] = [
            "-0", "-0.0", "0", "1.0", "1e400", "-1e400", "1E-400", "1e-320", "9223372036854775807", "9223372036854775808",
            "-9223372036854775808", "-9223372036854775809", "[1, 99999999999999999999999, -3]", "123456789012345678901234567890e300",
            String(repeating: "9", count: 400), "-", "--1", "01", "-01", "00", "1.", "1.e5", ".1", "1e", "1e+", "1e-5", "1E+5", "+1",
            "0.000001", "3.141592653589793238462643383279", "1.7976931348623157e308", "1.7976931348623159e308", "4.9e-324",
            #""""#, #""\"\\\/\b\f\n\r\t""#, #""\u0000""#, #""a\u0000b""#, #"{"\u0000":1}"#, #"{"a\u0000b":1}"#,
            #""\ud834\udd1e""#, #""\uD834\uDD1E""#, #""\ud834""#, #""\udd1e""#, #""\ud834x""#, #""\ud834\n""#, #""\ud834\u0041""#,
            #""\ud834\ud834""#, #""\u12""#, #""\u12g4""#, #""\x""#, #""\U0041""#, #""\'""#, #""abc"#, #"""#, "\"\u{7F}\"",
            "\"\u{1F}\"", "\"a\tb\"", "\"a\nb\"", "\"é𝄞中\"", "", " ", "\t\n\r ", "\u{C}1", "1\u{C}", "\u{A0}1", "\u{FEFF}1",
            "true", "false", "null", "True", "nul", "nulll", "truefalse", "[true,false,null]", "[true1]", "[1true]",
            "{}", "[]", "{} ", " {}", "{}{}", "{} x", "[1,]", "[,1]", "[1,,2]", "{\"a\":1,}", "{,}", "{\"a\"}", "{\"a\":}",
            "{\"a\" 1}", "{1:2}", "{\"a\":1 \"b\":2}", "[1 2]", "[", "]", "{", "}", ":", ",", "[1", "{\"a\":1",
            #"{"a":1,"a":2}"#, #"{"a":{"b":1},"a":[2]}"#, #"{"a":1,"b":{"a":2,"a":3}}"#, #"{"":1,"":2}"#, #"[{"x":1,"x":1}]"#,
            #"{"b":1,"a":2,"c":3,"a":4}"#,
        ].map { Array($0.utf8) }
        cases += [
            [0x22, 0xC0, 0x80, 0x22], [0x22, 0xC1, 0xBF, 0x22], [0x22, 0xE0, 0x9F, 0xBF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
            [0x22, 0xF0, 0x8F, 0xBF, 0xBF, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22],
            [0x22, 0xF8, 0x22], [0x22, 0xFF, 0x22], [0x22, 0x80, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xE2, 0x82, 0x22],
            [0x22, 0xE2, 0x82, 0xAC, 0x22], [0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22], [0x22, 0xC3], [0xC3, 0xA9], [0x00],
            [0x22, 0x00, 0x22], [0x5B, 0x00, 0x5D], [0x31, 0x00], [0x5B, 0x31, 0x00, 0x5D], [0x74, 0x72, 0x75, 0x65, 0x00],
            [0x31, 0x00, 0x00], [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x31, 0x00, 0x7D],
        ]
        for depth in [2047, 2048, 2049] {
            cases.append(Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8))
            cases.append(Array((String(repeating: "[", count: depth) + "0" + String(repeating: "]", count: depth)).utf8))
            cases.append(Array((String(repeating: "{\"k\":", count: depth) + "{}" + String(repeating: "}", count: depth)).utf8))
        }
        for bytes in cases {
            try Self.expectAgreement(bytes, label: String(decoding: bytes.prefix(60), as: UTF8.self).debugDescription)
            try Self.expectAgreement(bytes, rejectingDuplicateKeys: true, label: String(decoding: bytes.prefix(60), as: UTF8.self).debugDescription)
        }
    }

    /// Thousands of seeded random edits of valid documents: flipped, inserted, deleted and repeated bytes,
    /// truncations. The seed is fixed, so a failure reproduces.
    @Test func agreesWithJanssonOnMutatedDocuments() throws {
        let seeds = try Self.contractFiles().map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
            .filter { $0.count < 4_096 }
        #expect(seeds.count > 20)
        let interesting = Array(#"{}[],:"\/0123456789-+.eEtfnu "#.utf8) + [0x00, 0x09, 0x0A, 0x0C, 0x0D, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF]
        var random = SplitMix64(seed: 0x8259_2026)
        var accepted = 0
        let cases = 6_000
        for index in 0..<cases {
            var bytes = seeds[Int(random.next() % UInt64(seeds.count))]
            for _ in 0..<(1 + Int(random.next() % 3)) where !bytes.isEmpty {
                let position = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 6 {
                case 0: bytes[position] = interesting[Int(random.next() % UInt64(interesting.count))]
                case 1: bytes.insert(interesting[Int(random.next() % UInt64(interesting.count))], at: position)
                case 2: bytes.remove(at: position)
                case 3: bytes[position] = UInt8(truncatingIfNeeded: random.next())
                case 4:
                    let length = min(bytes.count - position, 1 + Int(random.next() % 16))
                    bytes.insert(contentsOf: bytes[position..<(position + length)], at: position)
                default: bytes.removeSubrange(position...)
                }
            }
            if try Self.expectAgreement(bytes, rejectingDuplicateKeys: index % 2 == 1, label: "mutation \(index)") { accepted += 1 }
        }
        // The mutations must exercise both verdicts, or the comparison proves little.
        #expect(accepted > cases / 10 && accepted < cases * 9 / 10, "\(accepted) of \(cases) accepted")
    }

    // MARK: - Helpers

    static func contractFiles() -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("contracts").path
        let walker = FileManager.default.enumerator(atPath: root)
        var files: [String] = []
        while let path = walker?.nextObject() as? String {
            if path.hasSuffix(".json") { files.append(root + "/" + path) }
        }
        return files.sorted()
    }

    /// Both readers refuse `bytes`, or both accept it with identical values (same number kinds, same
    /// member order). Returns whether it was accepted.
    @discardableResult
    static func expectAgreement(_ bytes: [UInt8], rejectingDuplicateKeys: Bool = false, label: String) throws -> Bool {
        let theirs = jansson(bytes, rejectingDuplicateKeys: rejectingDuplicateKeys)
        defer { if let theirs { json_decref(theirs) } }
        var input = bytes
        var ours = Result { () throws(JSONParseError) in try JSONValue(parsing: input, rejectingDuplicateKeys: rejectingDuplicateKeys) }
        // jansson's one known deviation from RFC 8259: its stream loses a NUL byte it pushes back after a
        // number or a literal, so it accepts `1<NUL>`. The reader refuses it; with those bytes removed, the
        // two must agree again.
        while theirs != nil, case .failure(let error) = ours, error.offset > 0, error.offset < input.count,
              input[error.offset] == 0, isTokenEnd(input[error.offset - 1]) {
            input.remove(at: error.offset)
            ours = Result { () throws(JSONParseError) in try JSONValue(parsing: input, rejectingDuplicateKeys: rejectingDuplicateKeys) }
        }
        switch (ours, theirs) {
        case (.failure, nil):
            return false
        case (.success(let value), let root?):
            #expect(identical(value.raw, root), "\(label): \(value) differs from jansson's \(String(cString: json_dumps(root, Int(JSON_ENCODE_ANY))))")
            // The writer's text reads back as the same value.
            let reread = try JSONValue(parsing: value.serializedBytes())
            #expect(identical(reread.raw, value.raw), "\(label): \(value) does not survive writing")
            return true
        case (.success(let value), nil):
            Issue.record("\(label): jansson refuses what the reader accepts as \(value)")
            return false
        case (.failure(let error), _?):
            Issue.record("\(label): the reader refuses what jansson accepts: \(error)")
            return false
        }
    }

    private static func isTokenEnd(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
    }

    /// What JSONValue used to do: json_loadb, and again with integers as reals after an integer overflow.
    static func jansson(_ bytes: [UInt8], rejectingDuplicateKeys: Bool) -> UnsafeMutablePointer<json_t>? {
        let flags = Int(JSON_DECODE_ANY | JSON_ALLOW_NUL) | (rejectingDuplicateKeys ? Int(JSON_REJECT_DUPLICATES) : 0)
        return bytes.withUnsafeBytes { buffer in
            let base = buffer.baseAddress?.assumingMemoryBound(to: CChar.self) ?? UnsafePointer(bitPattern: 1)!
            var error = json_error_t()
            if let root = json_loadb(base, buffer.count, flags, &error) { return root }
            guard json_error_code(&error) == json_error_numeric_overflow else { return nil }
            return json_loadb(base, buffer.count, flags | Int(JSON_DECODE_INT_AS_REAL), &error)
        }
    }

    /// Stricter than JSON equality: kinds, real bits (so -0.0 is not 0.0), key order.
    static func identical(_ a: UnsafeMutablePointer<json_t>, _ b: UnsafeMutablePointer<json_t>) -> Bool {
        guard a.pointee.type == b.pointee.type else { return false }
        switch a.pointee.type {
        case JSON_INTEGER:
            return json_integer_value(a) == json_integer_value(b)
        case JSON_REAL:
            return json_real_value(a).bitPattern == json_real_value(b).bitPattern
        case JSON_STRING:
            return json_string_length(a) == json_string_length(b)
                && memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0
        case JSON_ARRAY:
            guard json_array_size(a) == json_array_size(b) else { return false }
            return (0..<json_array_size(a)).allSatisfy { identical(json_array_get(a, $0), json_array_get(b, $0)) }
        case JSON_OBJECT:
            guard json_object_size(a) == json_object_size(b) else { return false }
            var left = json_object_iter(a)
            var right = json_object_iter(b)
            while let l = left, let r = right {
                let length = json_object_iter_key_len(l)
                guard length == json_object_iter_key_len(r), memcmp(json_object_iter_key(l), json_object_iter_key(r), length) == 0,
                      identical(json_object_iter_value(l), json_object_iter_value(r)) else { return false }
                left = json_object_iter_next(a, l)
                right = json_object_iter_next(b, r)
            }
            return left == nil && right == nil
        default:
            return true
        }
    }
}

/// A small seeded generator (SplitMix64), so that the mutations are the same on every run.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
