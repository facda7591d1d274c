import CJansson
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension JSONValue {
    /// Compact JSON text (no insignificant whitespace). Numbers keep their kind: integers print
    /// as integers, reals in their shortest round-tripping form (`0.1`, `1.0`, `1e-07`).
    public func serialized(sortedKeys: Bool = false) -> String {
        var writer = JSONWriter()
        writer.write(raw, sortedKeys: sortedKeys)
        return writer.string()
    }

    /// Compact JSON text as UTF-8 bytes.
    public func serializedBytes(sortedKeys: Bool = false) -> [UInt8] {
        var writer = JSONWriter()
        writer.write(raw, sortedKeys: sortedKeys)
        return writer.bytes()
    }
}

extension JSONValue: CustomStringConvertible {
    public var description: String { serialized() }
}

/// Writes compact JSON text into one growing buffer, which a writer reused for many documents (see
/// ``removeAll()``) allocates once: what a producer that serializes one event after another uses.
public struct JSONWriter: ~Copyable {
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0

    public init(capacity: Int = 512) {
        self.capacity = capacity
        buffer = .allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }

    /// Appends `value` as compact JSON text, as ``JSONValue/serializedBytes(sortedKeys:)`` writes it.
    public mutating func write(_ value: JSONValue) {
        withExtendedLifetime(value) { write(value.raw, sortedKeys: false) }
    }

    /// Forgets the text written so far and keeps the buffer.
    public mutating func removeAll() {
        count = 0
    }

    /// The text written so far, valid for the duration of `body`.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: buffer, count: count))
    }

    func bytes() -> [UInt8] {
        [UInt8](UnsafeBufferPointer(start: buffer, count: count))
    }

    func string() -> String {
        String(unsafeUninitializedCapacity: count) { target in
            _ = target.initialize(from: UnsafeBufferPointer(start: buffer, count: count))
            return count
        }
    }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: max(capacity * 2, count + extra))
        larger.update(from: buffer, count: count)
        buffer.deallocate()
        buffer = larger
        capacity = max(capacity * 2, count + extra)
    }

    @inline(__always)
    private mutating func append(_ byte: UInt8) {
        reserve(1)
        buffer[count] = byte
        count += 1
    }

    private mutating func append(_ bytes: UnsafePointer<UInt8>, count length: Int) {
        reserve(length)
        (buffer + count).update(from: bytes, count: length)
        count += length
    }

    private mutating func append(_ text: StaticString) {
        append(text.utf8Start, count: text.utf8CodeUnitCount)
    }

    mutating func write(_ node: UnsafeMutablePointer<json_t>, sortedKeys: Bool) {
        switch node.pointee.type {
        case JSON_OBJECT:
            append(UInt8(ascii: "{"))
            if sortedKeys {
                writeMembersSorted(of: node)
            } else {
                var cursor = json_object_iter(node)
                var first = true
                while let current = cursor {
                    if !first { append(UInt8(ascii: ",")) }
                    first = false
                    let length = json_object_iter_key_len(current)
                    json_object_iter_key(current)!.withMemoryRebound(to: UInt8.self, capacity: length) {
                        writeString($0, count: length)
                    }
                    append(UInt8(ascii: ":"))
                    write(json_object_iter_value(current), sortedKeys: false)
                    cursor = json_object_iter_next(node, current)
                }
            }
            append(UInt8(ascii: "}"))
        case JSON_ARRAY:
            append(UInt8(ascii: "["))
            for index in 0..<json_array_size(node) {
                if index > 0 { append(UInt8(ascii: ",")) }
                write(json_array_get(node, index), sortedKeys: sortedKeys)
            }
            append(UInt8(ascii: "]"))
        case JSON_STRING:
            let length = json_string_length(node)
            json_string_value(node)!.withMemoryRebound(to: UInt8.self, capacity: length) { writeString($0, count: length) }
        case JSON_INTEGER:
            writeInteger(Int64(json_integer_value(node)))
        case JSON_REAL:
            var text = json_real_value(node).description
            text.withUTF8 { append($0.baseAddress!, count: $0.count) }
        case JSON_TRUE:
            append("true")
        case JSON_FALSE:
            append("false")
        default:
            append("null")
        }
    }

    /// An object's members in the order of their keys, as Swift's `String` comparison orders them, gathered in a
    /// buffer on the stack. ASCII keys (every key of an event envelope) are compared by their bytes, which orders
    /// them the same way; a `String` for each key, in an array sorted and dropped per object, cost more than the
    /// rest of writing an event. Other keys are compared as strings.
    private mutating func writeMembersSorted(of node: UnsafeMutablePointer<json_t>) {
        typealias Member = (key: UnsafePointer<UInt8>, count: Int, value: UnsafeMutablePointer<json_t>)
        withUnsafeTemporaryAllocation(of: Member.self, capacity: json_object_size(node)) { buffer in
            var filled = 0
            var isASCII = true
            var cursor = json_object_iter(node)
            while let current = cursor, filled < buffer.count {
                let count = json_object_iter_key_len(current)
                let key = UnsafeRawPointer(json_object_iter_key(current)!).assumingMemoryBound(to: UInt8.self)
                isASCII = isASCII && UnsafeBufferPointer(start: key, count: count).allSatisfy { $0 < 0x80 }
                buffer.initializeElement(at: filled, to: (key, count, json_object_iter_value(current)))
                filled += 1
                cursor = json_object_iter_next(node, current)
            }
            var members = UnsafeMutableBufferPointer(rebasing: buffer[..<filled])
            if isASCII {
                members.sort { a, b in
                    let order = memcmp(a.key, b.key, min(a.count, b.count))
                    return order != 0 ? order < 0 : a.count < b.count
                }
            } else {
                func text(_ member: Member) -> String {
                    String(decoding: UnsafeBufferPointer(start: member.key, count: member.count), as: UTF8.self)
                }
                members.sort { text($0) < text($1) }
            }
            for (index, member) in members.enumerated() {
                if index > 0 { append(UInt8(ascii: ",")) }
                writeString(member.key, count: member.count)
                append(UInt8(ascii: ":"))
                write(member.value, sortedKeys: true)
            }
        }
    }

    private mutating func writeInteger(_ value: Int64) {
        reserve(20)
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        let written = withUnsafeMutableBytes(of: &digits) { scratch -> Int in
            var position = scratch.count
            repeat {
                position -= 1
                scratch[position] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                position -= 1
                scratch[position] = UInt8(ascii: "-")
            }
            (buffer + count).update(from: scratch.baseAddress!.assumingMemoryBound(to: UInt8.self) + position,
                                    count: scratch.count - position)
            return scratch.count - position
        }
        count += written
    }

    /// False only when none of the word's eight bytes is a control character, `"` or `\\` (the classic
    /// "has a zero byte" bit trick, applied to the word and to it XORed with each quote byte). A true may be
    /// wrong, never a false: the caller then looks at the bytes one by one.
    @inline(__always)
    private static func mayNeedEscaping(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ value: UInt64) -> Bool { (value &- ones) & ~value & highs != 0 }
        let control = (word &- ones &* 0x20) & ~word & highs != 0
        return control || hasZeroByte(word ^ (ones &* 0x22)) || hasZeroByte(word ^ (ones &* 0x5C))
    }

    /// A quoted string: `"`, `\` and control characters escaped, everything else (valid UTF-8) as is.
    private mutating func writeString(_ bytes: UnsafePointer<UInt8>, count length: Int) {
        append(UInt8(ascii: "\""))
        var index = 0
        while index < length {
            // Room for a chunk whose every byte is a six-byte \u00XX escape, so the loop needs no checks.
            let chunkEnd = min(length, index + 4_096)
            reserve((chunkEnd - index) * 6)
            var out = buffer + count
            while index < chunkEnd {
                // Eight plain bytes at a time: most text has nothing to escape.
                if chunkEnd - index >= 8 {
                    let word = UnsafeRawPointer(bytes + index).loadUnaligned(as: UInt64.self)
                    if !Self.mayNeedEscaping(word) {
                        UnsafeMutableRawPointer(out).storeBytes(of: word, as: UInt64.self)
                        out += 8
                        index += 8
                        continue
                    }
                }
                let byte = bytes[index]
                index += 1
                if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                    out.pointee = byte
                    out += 1
                    continue
                }
                out[0] = UInt8(ascii: "\\")
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out[1] = byte
                case 0x0A: out[1] = UInt8(ascii: "n")
                case 0x0D: out[1] = UInt8(ascii: "r")
                case 0x09: out[1] = UInt8(ascii: "t")
                case 0x08: out[1] = UInt8(ascii: "b")
                case 0x0C: out[1] = UInt8(ascii: "f")
                default:
                    let hex: StaticString = "0123456789abcdef"
                    out[1] = UInt8(ascii: "u")
                    out[2] = UInt8(ascii: "0")
                    out[3] = UInt8(ascii: "0")
                    out[4] = hex.utf8Start[Int(byte >> 4)]
                    out[5] = hex.utf8Start[Int(byte & 0xF)]
                    out += 6
                    continue
                }
                out += 2
            }
            count = out - buffer
        }
        append(UInt8(ascii: "\""))
    }
}
