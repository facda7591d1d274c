import CJansson

extension JSONValue {
    public static func string(_ value: String) -> JSONValue {
        // Swift strings are always valid UTF-8, so jansson's check would only repeat ours.
        JSONValue(adopting: value.withCString { json_stringn_nocheck($0, value.utf8.count) }!)
    }

    public static func number(_ value: Int) -> JSONValue {
        JSONValue(adopting: json_integer(json_int_t(value))!)
    }

    /// A real number. JSON has no NaN or infinity, so passing one is a programming error.
    public static func number(_ value: Double) -> JSONValue {
        precondition(value.isFinite, "JSON numbers are finite; got \(value)")
        return JSONValue(adopting: json_real(value)!)
    }

    public static func bool(_ value: Bool) -> JSONValue {
        JSONValue(adopting: value ? json_true()! : json_false()!)
    }

    public static var null: JSONValue {
        JSONValue(adopting: json_null()!)
    }

    /// An array of `elements`; the elements are shared, not copied (values are immutable).
    public static func array(_ elements: some Sequence<JSONValue>) -> JSONValue {
        let node = json_array()!
        for element in elements {
            json_array_append_new(node, json_incref(element.raw))
        }
        return JSONValue(adopting: node)
    }

    /// An object with `members` in the given order; a repeated key keeps its last value.
    public static func object(_ members: some Sequence<(String, JSONValue)>) -> JSONValue {
        let node = json_object()!
        for (key, value) in members {
            _ = key.withCString { json_object_setn_new_nocheck(node, $0, key.utf8.count, json_incref(value.raw)) }
        }
        return JSONValue(adopting: node)
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self = .number(value) }
}

extension JSONValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .number(value) }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements) }
}

/// Builds one object member by member, straight into jansson: no `JSONValue` (and its storage) per
/// member and no array of members, for hot paths such as encoding every event a producer sends.
public struct JSONObjectBuilder: ~Copyable {
    private let node: UnsafeMutablePointer<json_t>

    public init() {
        node = json_object()!
    }

    deinit { json_decref(node) }

    /// Sets `key` (a repeated key keeps its last value, as `JSONValue.object` does).
    public mutating func set(_ key: StaticString, _ value: String) {
        var value = value
        let member = value.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { text in
                text.baseAddress.map { json_stringn_nocheck($0, text.count)! } ?? json_string("")!
            }
        }
        adopt(key, member)
    }

    public mutating func set(_ key: StaticString, _ value: Bool) {
        adopt(key, value ? json_true()! : json_false()!)
    }

    /// Shares `value`'s node (values are immutable), as `JSONValue.object` does.
    public mutating func set(_ key: StaticString, _ value: JSONValue) {
        adopt(key, json_incref(value.raw)!)
    }

    public consuming func build() -> JSONValue {
        let node = self.node
        discard self
        return JSONValue(adopting: node)
    }

    private func adopt(_ key: StaticString, _ member: UnsafeMutablePointer<json_t>) {
        _ = key.utf8Start.withMemoryRebound(to: CChar.self, capacity: key.utf8CodeUnitCount) {
            json_object_setn_new_nocheck(node, $0, key.utf8CodeUnitCount, member)
        }
    }
}
