import CJansson

extension JSONValue {
    /// Compact JSON text (no insignificant whitespace). Numbers keep their kind: integers print
    /// as integers, reals in their shortest round-tripping form (`0.1`, `1.0`, `1e-07`).
    public func serialized(sortedKeys: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(to: &out, sortedKeys: sortedKeys)
        return String(decoding: out, as: UTF8.self)
    }

    /// Compact JSON text as UTF-8 bytes.
    public func serializedBytes(sortedKeys: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out, sortedKeys: sortedKeys)
        return out
    }

    func write(to out: inout [UInt8], sortedKeys: Bool) {
        switch raw.pointee.type {
        case JSON_OBJECT:
            out.append(UInt8(ascii: "{"))
            var first = true
            let members = sortedKeys ? self.members.sorted { $0.key < $1.key } : Array(self.members)
            for (key, value) in members {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                JSONValue.writeString(key.utf8, to: &out)
                out.append(UInt8(ascii: ":"))
                value.write(to: &out, sortedKeys: sortedKeys)
            }
            out.append(UInt8(ascii: "}"))
        case JSON_ARRAY:
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.write(to: &out, sortedKeys: sortedKeys)
            }
            out.append(UInt8(ascii: "]"))
        case JSON_STRING:
            JSONValue.writeString(utf8Buffer, to: &out)
        case JSON_INTEGER:
            out.append(contentsOf: String(json_integer_value(raw)).utf8)
        case JSON_REAL:
            out.append(contentsOf: json_real_value(raw).description.utf8)
        case JSON_TRUE:
            out.append(contentsOf: "true".utf8)
        case JSON_FALSE:
            out.append(contentsOf: "false".utf8)
        default:
            out.append(contentsOf: "null".utf8)
        }
    }

    static func writeString(_ bytes: some Sequence<UInt8>, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension JSONValue: CustomStringConvertible {
    public var description: String { serialized() }
}
