import BookshelfJSON
import CJansson

/// The validation vocabulary: keywords that assert something of the instance itself and look at no
/// subschema (type, enum, const, and the number, string, array and object assertions), and `format`
/// when it asserts. Each is inlined into `Keyword.validate`'s switch.
extension Keyword {
    // MARK: Any instance

    @inline(__always)
    static func validateType(_ allowed: TypeSet, _ instance: JSONNode, in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        if allowed.isDisjoint(with: TypeSet.of(instance)) {
            ev.fail(node, "type", "expected \(allowed.description), got \(describe(instance))")
            return false
        }
        return true
    }

    @inline(__always)
    static func validateEnum(_ values: UnsafeBufferPointer<JSONNode>, source: JSONNode, _ instance: JSONNode,
                             in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        for value in values where JSONValue.equal(value, instance) { return true }
        ev.fail(node, "enum", "\(excerpt(instance)) is not one of \(excerpt(source))")
        return false
    }

    @inline(__always)
    static func validateConst(_ value: JSONNode, _ instance: JSONNode, in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        if JSONValue.equal(value, instance) { return true }
        ev.fail(node, "const", "\(excerpt(instance)) is not \(excerpt(value))")
        return false
    }

    // MARK: Numbers

    @inline(__always)
    static func validateMultipleOf(_ divisor: NumberBound, _ instance: JSONNode, in node: SchemaNode,
                                   _ ev: inout Evaluation) -> Bool {
        guard isNumber(instance) else { return true }
        if isMultiple(instance, of: divisor) { return true }
        ev.fail(node, "multipleOf", "\(excerpt(instance)) is not a multiple of \(divisor.text)")
        return false
    }

    @inline(__always)
    static func validateMaximum(_ bound: NumberBound, _ instance: JSONNode, in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        guard isNumber(instance), compare(instance, bound) > 0 else { return true }
        ev.fail(node, "maximum", "\(excerpt(instance)) is greater than the maximum \(bound.text)")
        return false
    }

    @inline(__always)
    static func validateExclusiveMaximum(_ bound: NumberBound, _ instance: JSONNode, in node: SchemaNode,
                                         _ ev: inout Evaluation) -> Bool {
        guard isNumber(instance), compare(instance, bound) >= 0 else { return true }
        ev.fail(node, "exclusiveMaximum", "\(excerpt(instance)) is not less than \(bound.text)")
        return false
    }

    @inline(__always)
    static func validateMinimum(_ bound: NumberBound, _ instance: JSONNode, in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        guard isNumber(instance), compare(instance, bound) < 0 else { return true }
        ev.fail(node, "minimum", "\(excerpt(instance)) is less than the minimum \(bound.text)")
        return false
    }

    @inline(__always)
    static func validateExclusiveMinimum(_ bound: NumberBound, _ instance: JSONNode, in node: SchemaNode,
                                         _ ev: inout Evaluation) -> Bool {
        guard isNumber(instance), compare(instance, bound) <= 0 else { return true }
        ev.fail(node, "exclusiveMinimum", "\(excerpt(instance)) is not greater than \(bound.text)")
        return false
    }

    // MARK: Strings

    @inline(__always)
    static func validateMaxLength(_ limit: Int, _ instance: JSONNode, in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_STRING else { return true }
        // A code point takes 1 to 4 bytes, so the byte length often settles it without counting.
        let bytes = json_string_length(instance)
        if bytes <= limit || codePoints(instance) <= limit { return true }
        ev.fail(node, "maxLength", "the string is longer than \(limit) characters")
        return false
    }

    @inline(__always)
    static func validateMinLength(_ limit: Int, _ instance: JSONNode, in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_STRING else { return true }
        let bytes = json_string_length(instance)
        if bytes >= limit &* 4 || (bytes >= limit && codePoints(instance) >= limit) { return true }
        ev.fail(node, "minLength", "the string is shorter than \(limit) characters")
        return false
    }

    @inline(__always)
    static func validatePattern(_ regex: Unmanaged<ECMARegex>, _ instance: JSONNode, in node: SchemaNode,
                                _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_STRING else { return true }
        let pattern = regex.takeUnretainedValue()
        switch pattern.search(instance) {
        case .match: return true
        case .noMatch: ev.fail(node, "pattern", "\(excerpt(instance)) does not match the pattern \(pattern.source)")
        case .gaveUp:
            ev.fail(node, "pattern", "the pattern \(pattern.source) gave up on \(excerpt(instance)): matching would "
                + "take too long (a pattern with backreferences, or a very long string); simplify the pattern")
        }
        return false
    }

    @inline(__always)
    static func validateFormat(_ name: Unmanaged<Name>, _ checker: Unmanaged<FormatChecker>, _ instance: JSONNode,
                               in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_STRING else { return true }
        if checker.takeUnretainedValue().check(String(cString: json_string_value(instance))) { return true }
        ev.fail(node, "format", "\(excerpt(instance)) is not a valid \(name.takeUnretainedValue().text)")
        return false
    }

    // MARK: Arrays

    @inline(__always)
    static func validateMaxItems(_ limit: Int, _ instance: JSONNode, in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_ARRAY, json_array_size(instance) > limit else { return true }
        ev.fail(node, "maxItems", "the array has \(json_array_size(instance)) items, more than \(limit)")
        return false
    }

    @inline(__always)
    static func validateMinItems(_ limit: Int, _ instance: JSONNode, in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_ARRAY, json_array_size(instance) < limit else { return true }
        ev.fail(node, "minItems", "the array has \(json_array_size(instance)) items, fewer than \(limit)")
        return false
    }

    @inline(__always)
    static func validateUniqueItems(_ instance: JSONNode, in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_ARRAY else { return true }
        let count = json_array_size(instance)
        guard count > 1 else { return true }
        for i in 0..<(count - 1) {
            let item = json_array_get(instance, i)!
            for j in (i + 1)..<count where JSONValue.equal(item, json_array_get(instance, j)) {
                ev.fail(node, "uniqueItems", "items \(i) and \(j) are equal; the array's items must be unique")
                return false
            }
        }
        return true
    }

    // MARK: Objects

    @inline(__always)
    static func validateMaxProperties(_ limit: Int, _ instance: JSONNode, in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_OBJECT, json_object_size(instance) > limit else { return true }
        ev.fail(node, "maxProperties", "the object has \(json_object_size(instance)) properties, more than \(limit)")
        return false
    }

    @inline(__always)
    static func validateMinProperties(_ limit: Int, _ instance: JSONNode, in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_OBJECT, json_object_size(instance) < limit else { return true }
        ev.fail(node, "minProperties", "the object has \(json_object_size(instance)) properties, fewer than \(limit)")
        return false
    }

    @inline(__always)
    static func validateRequired(_ keys: UnsafeBufferPointer<PropertyKey>, _ instance: JSONNode, in node: SchemaNode,
                                 _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_OBJECT else { return true }
        var valid = true
        for key in keys where key.lookup(in: instance) == nil {
            ev.fail(node, "required", "the required property \"\(key.name)\" is missing")
            valid = false
            if !ev.collecting { return false }
        }
        return valid
    }

    @inline(__always)
    static func validateDependentRequired(_ dependencies: UnsafeBufferPointer<Dependency>, _ instance: JSONNode,
                                          in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        guard instance.pointee.type == JSON_OBJECT else { return true }
        var valid = true
        for dependency in dependencies where dependency.trigger.lookup(in: instance) != nil {
            for key in dependency.required where key.lookup(in: instance) == nil {
                ev.fail(node, "dependentRequired", "\"\(key.name)\" is required when \"\(dependency.trigger.name)\" is present")
                valid = false
                if !ev.collecting { return false }
            }
        }
        return valid
    }

    // MARK: Helpers

    @inline(__always)
    static func isNumber(_ instance: JSONNode) -> Bool {
        instance.pointee.type == JSON_INTEGER || instance.pointee.type == JSON_REAL
    }

    /// Unicode code points in a string: JSON Schema's length (not grapheme clusters).
    /// Every byte begins a code point but the continuation bytes (0b10xxxxxx). They are counted eight at a
    /// time: in a word, a byte's top bit set and the bit below it clear (shifted up into the top bit) marks one.
    static func codePoints(_ instance: JSONNode) -> Int {
        let length = json_string_length(instance)
        let bytes = UnsafeRawPointer(json_string_value(instance)!)
        var continuations = 0
        var index = 0
        while index + 8 <= length {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            continuations += (word & ~(word << 1) & 0x8080_8080_8080_8080).nonzeroBitCount
            index += 8
        }
        while index < length {
            if bytes.load(fromByteOffset: index, as: UInt8.self) & 0xC0 == 0x80 { continuations += 1 }
            index += 1
        }
        return length - continuations
    }

    /// -1, 0 or 1 as `instance` is below, at or above `bound`; exact for integers.
    @inline(__always)
    static func compare(_ instance: JSONNode, _ bound: NumberBound) -> Int {
        if instance.pointee.type == JSON_INTEGER, case .integer(let limit) = bound {
            let value = Int(json_integer_value(instance))
            return value < limit ? -1 : (value > limit ? 1 : 0)
        }
        let value = instance.pointee.type == JSON_INTEGER ? Double(json_integer_value(instance)) : json_real_value(instance)
        let limit: Double
        switch bound {
        case .integer(let integer): limit = Double(integer)
        case .real(let real): limit = real
        }
        return value < limit ? -1 : (value > limit ? 1 : 0)
    }

    /// Exact decimal arithmetic (`ExactDecimal`): 19.99 is a multiple of 0.01, 0.30000000000000004 is not.
    static func isMultiple(_ instance: JSONNode, of divisor: NumberBound) -> Bool {
        if instance.pointee.type == JSON_INTEGER, case .integer(let integer) = divisor {
            return Int(json_integer_value(instance)) % integer == 0
        }
        let value = instance.pointee.type == JSON_INTEGER
            ? ExactDecimal(Int(json_integer_value(instance))) : ExactDecimal(json_real_value(instance))
        guard let value, let step = divisor.exactDecimal else { return false }
        return value.isMultiple(of: step)
    }

    static func describe(_ instance: JSONNode) -> String {
        switch instance.pointee.type {
        case JSON_OBJECT: "object"
        case JSON_ARRAY: "array"
        case JSON_STRING: "string"
        case JSON_INTEGER: "integer"
        case JSON_REAL: "number"
        case JSON_TRUE, JSON_FALSE: "boolean"
        default: "null"
        }
    }

    /// The instance as JSON text, shortened for messages.
    static func excerpt(_ instance: JSONNode) -> String {
        let text = JSONValue(retaining: instance).serialized()
        return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }
}

extension NumberBound {
    var exactDecimal: ExactDecimal? {
        switch self {
        case .integer(let integer): ExactDecimal(integer)
        case .real(let real): ExactDecimal(real)
        }
    }

    var text: String {
        switch self {
        case .integer(let integer): String(integer)
        case .real(let real): real.description
        }
    }
}
