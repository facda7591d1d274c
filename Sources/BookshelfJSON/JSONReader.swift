import CJansson
import CJanssonArena
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A strict RFC 8259 reader that builds jansson values: the same verdicts and values as jansson's
/// `json_loadb` with `JSON_DECODE_ANY | JSON_ALLOW_NUL` (and `JSON_REJECT_DUPLICATES` when asked), at
/// several times its speed. jansson's lexer reads one character at a time through a stream callback and
/// copies every token into a scratch buffer; this reader scans the bytes in place and hands jansson
/// finished keys and strings.
///
/// jansson's rules it keeps on purpose: a value nested deeper than 2048 levels (scalars count as a level)
/// is refused; an object key containing `\u0000` is refused (strings may contain it); a real that
/// overflows a double is refused; and a document with an integer beyond 64 bits is read again with every
/// integer as a real, as `JSON_DECODE_INT_AS_REAL` would. One jansson quirk it does not copy: jansson
/// skips a single NUL byte directly after a number or literal (its stream loses a pushed-back NUL), so it
/// accepts `[1<NUL>]`; RFC 8259 allows no such byte, and this reader refuses it.
struct JSONReader: ~Copyable {
    /// jansson's `JSON_PARSER_MAX_DEPTH`.
    static let maximumDepth = 2048

    struct Failure: Error {
        enum Kind {
            case syntax
            /// An integer beyond 64 bits: the caller reads the document again with integers as reals.
            case integerOverflow
        }

        var kind: Kind
        var message: String
        /// Byte offset of the offending character or the start of the offending token.
        var offset: Int
        /// Whether the message should name the token at `offset` (jansson's "near '...'").
        var namesToken: Bool
    }

    private struct Frame {
        var node: UnsafeMutablePointer<json_t>
        var isObject: Bool
    }

    private let start: UnsafePointer<UInt8>
    private let end: UnsafePointer<UInt8>
    private var cursor: UnsafePointer<UInt8>
    private let rejectsDuplicateKeys: Bool
    private let integersAsReals: Bool
    /// Read inside a short-lived scope (`JSONValue.withShortLivedNodes`): every container nested in the
    /// root, and all it holds, is read with the scope left, so with malloc. A caller may keep such a part
    /// (an event's `data`) without keeping the arena chunks of the whole document.
    private let nestsOutsideArena: Bool
    /// Whether the scope is left now, for the container at depth 2 being read.
    private var outsideArena = false
    /// Decoded strings that had escapes: one buffer for the pending object key, one for string values,
    /// each as long as the input at most (a decoded string is never longer than its source).
    private var keyScratch: UnsafeMutablePointer<UInt8>?
    private var valueScratch: UnsafeMutablePointer<UInt8>?
    private var stack: UnsafeMutablePointer<Frame>
    private var stackCapacity = 16
    private var depth = 0

    /// Reads `buffer` as one JSON text. An integer overflow is reported as such, so that the caller can
    /// read the text again with `integersAsReals`.
    static func read(_ buffer: UnsafeRawBufferPointer, rejectingDuplicateKeys: Bool, integersAsReals: Bool,
                     nestingOutsideArena: Bool = false) -> Result<UnsafeMutablePointer<json_t>, Failure>
    {
        // An empty buffer may have no address; any non-null pointer with zero length reads as empty.
        let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1)!
        var reader = JSONReader(base, count: buffer.count, rejectingDuplicateKeys: rejectingDuplicateKeys,
                                integersAsReals: integersAsReals, nestingOutsideArena: nestingOutsideArena)
        return reader.readDocument()
    }

    private init(_ base: UnsafePointer<UInt8>, count: Int, rejectingDuplicateKeys: Bool, integersAsReals: Bool,
                 nestingOutsideArena: Bool) {
        start = base
        end = base + count
        cursor = base
        rejectsDuplicateKeys = rejectingDuplicateKeys
        self.integersAsReals = integersAsReals
        nestsOutsideArena = nestingOutsideArena
        stack = .allocate(capacity: stackCapacity)
    }

    deinit {
        stack.deallocate()
        keyScratch?.deallocate()
        valueScratch?.deallocate()
    }

    private var offset: Int { cursor - start }

    private func failure(_ message: String, at offset: Int, namingToken: Bool = true, _ kind: Failure.Kind = .syntax) -> Failure {
        Failure(kind: kind, message: message, offset: offset, namesToken: namingToken)
    }

    // MARK: - Structure

    private enum Next {
        case value
        case key
        case afterValue
    }

    private mutating func readDocument() -> Result<UnsafeMutablePointer<json_t>, Failure> {
        var root: UnsafeMutablePointer<json_t>?
        do throws(Failure) {
            var next = Next.value
            // The key of the member being read, valid until its value is attached.
            var key: (bytes: UnsafePointer<UInt8>, count: Int) = (start, 0)
            loop: while true {
                switch next {
                case .value:
                    skipWhitespace()
                    guard cursor < end else { throw failure("unexpected token", at: offset) }
                    guard depth < Self.maximumDepth else { throw failure("maximum parsing depth reached", at: offset) }
                    let byte = cursor.pointee
                    if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                        let isObject = byte == UInt8(ascii: "{")
                        if nestsOutsideArena && depth == 1 {
                            bs_jansson_arena_leave()
                            outsideArena = true
                        }
                        let node = isObject ? json_object()! : json_array()!
                        try attach(node, to: &root, key: key)
                        push(Frame(node: node, isObject: isObject))
                        cursor += 1
                        skipWhitespace()
                        if cursor < end && cursor.pointee == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                            cursor += 1
                            pop()
                            next = .afterValue
                        } else {
                            next = isObject ? .key : .value
                        }
                    } else {
                        try attach(try scalar(byte), to: &root, key: key)
                        next = .afterValue
                    }
                case .key:
                    guard cursor < end, cursor.pointee == UInt8(ascii: "\"") else {
                        throw failure("string or '}' expected", at: offset)
                    }
                    let keyStart = offset
                    key = try string(isKey: true)
                    if memchr(key.bytes, 0, key.count) != nil {
                        throw failure("NUL byte in object key not supported", at: keyStart)
                    }
                    if rejectsDuplicateKeys,
                       key.bytes.withMemoryRebound(to: CChar.self, capacity: key.count, { json_object_getn(stack[depth - 1].node, $0, key.count) }) != nil {
                        throw failure("duplicate object key", at: keyStart)
                    }
                    skipWhitespace()
                    guard cursor < end, cursor.pointee == UInt8(ascii: ":") else { throw failure("':' expected", at: offset) }
                    cursor += 1
                    next = .value
                case .afterValue:
                    skipWhitespace()
                    guard depth > 0 else {
                        guard cursor == end else { throw failure("end of file expected", at: offset) }
                        break loop
                    }
                    let isObject = stack[depth - 1].isObject
                    if cursor < end && cursor.pointee == UInt8(ascii: ",") {
                        cursor += 1
                        if isObject {
                            skipWhitespace()
                            next = .key
                        } else {
                            next = .value
                        }
                    } else if cursor < end && cursor.pointee == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                        cursor += 1
                        pop()
                    } else {
                        throw failure(isObject ? "'}' expected" : "']' expected", at: offset)
                    }
                }
            }
            return .success(root!)
        } catch {
            if outsideArena {
                bs_jansson_arena_enter()
                outsideArena = false
            }
            if let root { json_decref(root) }
            return .failure(error)
        }
    }

    /// Adds a new node (adopting its reference) to the open container, or makes it the root.
    private func attach(_ node: UnsafeMutablePointer<json_t>, to root: inout UnsafeMutablePointer<json_t>?,
                        key: (bytes: UnsafePointer<UInt8>, count: Int)) throws(Failure) {
        guard depth > 0 else {
            root = node
            return
        }
        let parent = stack[depth - 1]
        let status = parent.isObject
            ? key.bytes.withMemoryRebound(to: CChar.self, capacity: key.count) {
                json_object_setn_new_nocheck(parent.node, $0, key.count, node)
            }
            : json_array_append_new(parent.node, node)
        // jansson fails only when it cannot allocate; it has released `node` then.
        guard status == 0 else { throw failure("out of memory", at: offset, namingToken: false) }
    }

    /// Closes the innermost container, and re-enters the short-lived scope when that was one nested in the root.
    private mutating func pop() {
        depth -= 1
        if outsideArena && depth == 1 {
            bs_jansson_arena_enter()
            outsideArena = false
        }
    }

    private mutating func push(_ frame: Frame) {
        if depth == stackCapacity {
            let larger = UnsafeMutablePointer<Frame>.allocate(capacity: stackCapacity * 2)
            larger.moveInitialize(from: stack, count: depth)
            stack.deallocate()
            stack = larger
            stackCapacity *= 2
        }
        (stack + depth).initialize(to: frame)
        depth += 1
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while cursor < end {
            switch cursor.pointee {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): cursor += 1
            default: return
            }
        }
    }

    // MARK: - Scalars

    private mutating func scalar(_ byte: UInt8) throws(Failure) -> UnsafeMutablePointer<json_t> {
        switch byte {
        case UInt8(ascii: "\""):
            let text = try string(isKey: false)
            return text.bytes.withMemoryRebound(to: CChar.self, capacity: text.count) { json_stringn_nocheck($0, text.count)! }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try number()
        case UInt8(ascii: "t"):
            try literal("true")
            return json_true()
        case UInt8(ascii: "f"):
            try literal("false")
            return json_false()
        case UInt8(ascii: "n"):
            try literal("null")
            return json_null()
        case UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: ","), UInt8(ascii: ":"):
            throw failure("unexpected token", at: offset)
        default:
            throw failure("invalid token", at: offset)
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard end - cursor >= count, memcmp(cursor, word.utf8Start, count) == 0 else {
            throw failure("invalid token", at: offset)
        }
        cursor += count
    }

    private mutating func number() throws(Failure) -> UnsafeMutablePointer<json_t> {
        let first = cursor
        let negative = cursor.pointee == UInt8(ascii: "-")
        if negative { cursor += 1 }
        guard cursor < end, isDigit(cursor.pointee) else { throw failure("invalid token", at: first - start) }
        var magnitude: UInt64 = 0
        var overflow = false
        if cursor.pointee == UInt8(ascii: "0") {
            cursor += 1
            if cursor < end && isDigit(cursor.pointee) { throw failure("invalid token", at: first - start) }
        } else {
            while cursor < end, isDigit(cursor.pointee) {
                let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(cursor.pointee &- UInt8(ascii: "0")))
                magnitude = sum
                overflow = overflow || o1 || o2
                cursor += 1
            }
        }
        var isReal = integersAsReals
        if cursor < end && cursor.pointee == UInt8(ascii: ".") {
            cursor += 1
            guard cursor < end, isDigit(cursor.pointee) else { throw failure("invalid token", at: first - start) }
            while cursor < end, isDigit(cursor.pointee) { cursor += 1 }
            isReal = true
        }
        if cursor < end && (cursor.pointee == UInt8(ascii: "e") || cursor.pointee == UInt8(ascii: "E")) {
            cursor += 1
            if cursor < end && (cursor.pointee == UInt8(ascii: "+") || cursor.pointee == UInt8(ascii: "-")) { cursor += 1 }
            guard cursor < end, isDigit(cursor.pointee) else { throw failure("invalid token", at: first - start) }
            while cursor < end, isDigit(cursor.pointee) { cursor += 1 }
            isReal = true
        }
        if !isReal {
            let limit = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
            guard !overflow, magnitude <= limit else {
                throw failure(negative ? "too big negative integer" : "too big integer", at: first - start,
                              .integerOverflow)
            }
            return json_integer(negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude))
        }
        let value = Self.double(first, count: cursor - first)
        // strtod's verdict, as jansson's: an overflow to infinity is an error, an underflow is not.
        guard value.isFinite else { throw failure("real number overflow", at: first - start) }
        return json_real(value)
    }

    /// The correctly rounded double of a JSON number's text (glibc's strtod, as jansson uses; the text
    /// has no locale-dependent characters and the process keeps the C locale).
    private static func double(_ text: UnsafePointer<UInt8>, count: Int) -> Double {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer in
            let terminated = buffer.baseAddress!
            text.withMemoryRebound(to: CChar.self, capacity: count) { terminated.update(from: $0, count: count) }
            terminated[count] = 0
            return strtod(terminated, nil)
        }
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    // MARK: - Strings

    /// Reads the string at the cursor (its opening quote). Returns its bytes in the input when it has no
    /// escapes, else decoded into the key's or the value's scratch buffer.
    private mutating func string(isKey: Bool) throws(Failure)
        -> (bytes: UnsafePointer<UInt8>, count: Int)
    {
        cursor += 1
        let contents = cursor
        while true {
            try skipPlainBytes()
            guard cursor < end else { throw failure("premature end of input", at: offset, namingToken: false) }
            let byte = cursor.pointee
            if byte == UInt8(ascii: "\"") {
                cursor += 1
                return (contents, cursor - 1 - contents)
            }
            if byte == UInt8(ascii: "\\") { break }
            throw controlCharacter(byte)
        }
        // Escapes: decode into the scratch buffer, starting with the plain prefix.
        let output = scratch(isKey: isKey)
        var written = cursor - contents
        output.update(from: contents, count: written)
        while true {
            let plain = cursor
            try skipPlainBytes()
            (output + written).update(from: plain, count: cursor - plain)
            written += cursor - plain
            guard cursor < end else { throw failure("premature end of input", at: offset, namingToken: false) }
            let byte = cursor.pointee
            if byte == UInt8(ascii: "\"") {
                cursor += 1
                return (UnsafePointer(output), written)
            }
            guard byte == UInt8(ascii: "\\") else { throw controlCharacter(byte) }
            written += try escape(into: output + written)
        }
    }

    private mutating func scratch(isKey: Bool) -> UnsafeMutablePointer<UInt8> {
        if let buffer = isKey ? keyScratch : valueScratch { return buffer }
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, end - start))
        if isKey { keyScratch = buffer } else { valueScratch = buffer }
        return buffer
    }

    private func controlCharacter(_ byte: UInt8) -> Failure {
        byte == UInt8(ascii: "\n")
            ? failure("unexpected newline", at: offset, namingToken: false)
            : failure("control character 0x\(String(byte, radix: 16))", at: offset, namingToken: false)
    }

    /// Advances over string bytes that need no decoding: stops at a quote, a backslash, a control
    /// character or the end. Multi-byte UTF-8 sequences are checked on the way.
    @inline(__always)
    private mutating func skipPlainBytes() throws(Failure) {
        while true {
            // Eight ASCII bytes at a time while none of them is special.
            while end - cursor >= 8 {
                let word = UnsafeRawPointer(cursor).loadUnaligned(as: UInt64.self)
                let ones: UInt64 = 0x0101_0101_0101_0101
                let highs: UInt64 = 0x8080_8080_8080_8080
                let quote = word ^ (ones &* 0x22)
                let backslash = word ^ (ones &* 0x5C)
                let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | (word &- ones &* 0x20) | word
                if special & highs != 0 { break }
                cursor += 8
            }
            guard cursor < end else { return }
            let byte = cursor.pointee
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return }
            if byte < 0x80 {
                cursor += 1
            } else {
                try skipMultiByteCharacter()
            }
        }
    }

    /// Checks one multi-byte UTF-8 sequence at the cursor (RFC 3629: no overlong forms, no surrogates,
    /// nothing beyond U+10FFFF) and advances past it.
    private mutating func skipMultiByteCharacter() throws(Failure) {
        let lead = cursor.pointee
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default: throw invalidUTF8(at: cursor)
        }
        guard end - cursor >= length else { throw invalidUTF8(at: cursor) }
        guard cursor[1] >= lower && cursor[1] <= upper else { throw invalidUTF8(at: cursor) }
        for index in 2..<length where cursor[index] & 0xC0 != 0x80 { throw invalidUTF8(at: cursor) }
        cursor += length
    }

    private func invalidUTF8(at position: UnsafePointer<UInt8>) -> Failure {
        failure("unable to decode byte 0x\(String(position.pointee, radix: 16))", at: position - start, namingToken: false)
    }

    /// Decodes the escape at the cursor (its backslash) into `output`; returns the bytes written.
    private mutating func escape(into output: UnsafeMutablePointer<UInt8>) throws(Failure) -> Int {
        let backslash = offset
        guard end - cursor >= 2 else { throw failure("premature end of input", at: end - start, namingToken: false) }
        let kind = cursor[1]
        cursor += 2
        let simple: UInt8
        switch kind {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): simple = kind
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"):
            var scalar = try hexQuad(escapeAt: backslash)
            if (0xD800...0xDBFF).contains(scalar) {
                guard end - cursor >= 2, cursor[0] == UInt8(ascii: "\\"), cursor[1] == UInt8(ascii: "u") else {
                    throw failure("invalid Unicode '\\u\(Self.hex(scalar))'", at: backslash, namingToken: false)
                }
                cursor += 2
                let low = try hexQuad(escapeAt: cursor - 2 - start)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw failure("invalid Unicode '\\u\(Self.hex(scalar))\\u\(Self.hex(low))'", at: backslash, namingToken: false)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw failure("invalid Unicode '\\u\(Self.hex(scalar))'", at: backslash, namingToken: false)
            }
            return Self.encodeUTF8(scalar, into: output)
        default:
            throw failure("invalid escape", at: backslash, namingToken: false)
        }
        output.pointee = simple
        return 1
    }

    private mutating func hexQuad(escapeAt backslash: Int) throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard cursor < end else { throw failure("premature end of input", at: end - start, namingToken: false) }
            let byte = cursor.pointee
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("invalid escape", at: backslash, namingToken: false)
            }
            value = value << 4 | UInt32(digit)
            cursor += 1
        }
        return value
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private static func encodeUTF8(_ scalar: UInt32, into output: UnsafeMutablePointer<UInt8>) -> Int {
        switch scalar {
        case 0..<0x80:
            output[0] = UInt8(scalar)
            return 1
        case 0x80..<0x800:
            output[0] = UInt8(0xC0 | scalar >> 6)
            output[1] = UInt8(0x80 | scalar & 0x3F)
            return 2
        case 0x800..<0x10000:
            output[0] = UInt8(0xE0 | scalar >> 12)
            output[1] = UInt8(0x80 | scalar >> 6 & 0x3F)
            output[2] = UInt8(0x80 | scalar & 0x3F)
            return 3
        default:
            output[0] = UInt8(0xF0 | scalar >> 18)
            output[1] = UInt8(0x80 | scalar >> 12 & 0x3F)
            output[2] = UInt8(0x80 | scalar >> 6 & 0x3F)
            output[3] = UInt8(0x80 | scalar & 0x3F)
            return 4
        }
    }
}
