import BookshelfJSON
import CJansson
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The state of one validation: the dynamic scope (for `$dynamicRef`) and, when errors are
/// wanted, the paths that locate them. The fast yes/no path keeps `collecting` false and never
/// touches the paths, so it allocates nothing.
struct Evaluation {
    var collecting: Bool
    let tracksScope: Bool
    var scope: [SchemaResource] = []
    var errors: [ValidationError] = []
    var instancePath: [String] = []
    var keywordPath: [String] = []

    init(collecting: Bool, tracksScope: Bool) {
        self.collecting = collecting
        self.tracksScope = tracksScope
    }

    mutating func fail(_ node: SchemaNode, _ keyword: String, _ message: @autoclosure () -> String) {
        guard collecting else { return }
        let suffix = keyword.isEmpty ? "" : "/" + keyword
        errors.append(ValidationError(
            instanceLocation: instancePath.map { "/" + $0 }.joined(),
            keywordLocation: keywordPath.map { "/" + $0 }.joined() + suffix,
            absoluteKeywordLocation: node.absoluteLocation + suffix,
            message: message()))
    }

    /// Runs `body` with errors switched off (for `not`, `if`, `contains` and the probes of
    /// `anyOf`/`oneOf`, whose failures are not errors in themselves).
    @inline(__always)
    mutating func quietly<R>(_ body: (inout Evaluation) -> R) -> R {
        let saved = collecting
        collecting = false
        defer { collecting = saved }
        return body(&self)
    }
}

extension SchemaNode {
    func validate(_ instance: JSONNode, _ ev: inout Evaluation) -> Bool {
        // No subschemas below a string shape, so skipping the dynamic scope changes nothing.
        if let stringShape, stringShape.pointee.accepts(instance) { return true }
        // Its verdict is the keywords' own; it does not enter the dynamic scope, so not when that is tracked.
        if !ev.collecting && !ev.tracksScope, let propertiesShape { return propertiesShape.pointee.verdict(instance, &ev) }
        if let boolean {
            if !boolean { ev.fail(self, "", "no value is allowed here (the schema is false)") }
            return boolean
        }
        let entered = ev.tracksScope && isResourceRoot && ev.scope.last !== resource
        if entered { ev.scope.append(resource) }
        defer { if entered { ev.scope.removeLast() } }
        var valid = true
        for keyword in keywords where !keyword.validate(instance, in: self, &ev) {
            valid = false
            if !ev.collecting { return false }
        }
        return valid
    }

    /// Validates `instance` against this node reached through `keyword` (and `token`, such as a
    /// property name) at `instanceToken` below the current instance location. The tokens are
    /// only built when errors are being collected.
    @inline(__always)
    func descend(_ instance: JSONNode, _ ev: inout Evaluation, keyword: StaticString,
                 token: @autoclosure () -> String? = nil, instanceToken: @autoclosure () -> String? = nil) -> Bool {
        guard ev.collecting else { return validate(instance, &ev) }
        let token = token()
        let instanceToken = instanceToken()
        ev.keywordPath.append(keyword.description)
        if let token { ev.keywordPath.append(JSONPointer.escape(token)) }
        if let instanceToken { ev.instancePath.append(JSONPointer.escape(instanceToken)) }
        defer {
            ev.keywordPath.removeLast(token == nil ? 1 : 2)
            if instanceToken != nil { ev.instancePath.removeLast() }
        }
        return validate(instance, &ev)
    }

    /// Follows a reference: the target's resource joins the dynamic scope.
    @inline(__always)
    func follow(_ instance: JSONNode, _ ev: inout Evaluation, keyword: StaticString) -> Bool {
        let entered = ev.tracksScope && ev.scope.last !== resource
        if entered { ev.scope.append(resource) }
        defer { if entered { ev.scope.removeLast() } }
        return descend(instance, &ev, keyword: keyword)
    }
}

extension Keyword {
    // swiftlint:disable:next cyclomatic_complexity function_body_length
    func validate(_ instance: JSONNode, in node: SchemaNode, _ ev: inout Evaluation) -> Bool {
        let type = instance.pointee.type
        switch self {
        case .type(let allowed):
            if allowed.isDisjoint(with: TypeSet.of(instance)) {
                ev.fail(node, "type", "expected \(allowed.description), got \(Self.describe(instance))")
                return false
            }
            return true

        case .enumeration(let values, let source):
            for value in values where JSONValue.equal(value, instance) { return true }
            ev.fail(node, "enum", "\(Self.excerpt(instance)) is not one of \(Self.excerpt(source))")
            return false

        case .constant(let value):
            if JSONValue.equal(value, instance) { return true }
            ev.fail(node, "const", "\(Self.excerpt(instance)) is not \(Self.excerpt(value))")
            return false

        case .multipleOf(let divisor):
            guard type == JSON_INTEGER || type == JSON_REAL else { return true }
            if Self.isMultiple(instance, of: divisor) { return true }
            ev.fail(node, "multipleOf", "\(Self.excerpt(instance)) is not a multiple of \(divisor.text)")
            return false

        case .maximum(let bound):
            guard type == JSON_INTEGER || type == JSON_REAL, Self.compare(instance, bound) > 0 else { return true }
            ev.fail(node, "maximum", "\(Self.excerpt(instance)) is greater than the maximum \(bound.text)")
            return false
        case .exclusiveMaximum(let bound):
            guard type == JSON_INTEGER || type == JSON_REAL, Self.compare(instance, bound) >= 0 else { return true }
            ev.fail(node, "exclusiveMaximum", "\(Self.excerpt(instance)) is not less than \(bound.text)")
            return false
        case .minimum(let bound):
            guard type == JSON_INTEGER || type == JSON_REAL, Self.compare(instance, bound) < 0 else { return true }
            ev.fail(node, "minimum", "\(Self.excerpt(instance)) is less than the minimum \(bound.text)")
            return false
        case .exclusiveMinimum(let bound):
            guard type == JSON_INTEGER || type == JSON_REAL, Self.compare(instance, bound) <= 0 else { return true }
            ev.fail(node, "exclusiveMinimum", "\(Self.excerpt(instance)) is not greater than \(bound.text)")
            return false

        case .maxLength(let limit):
            guard type == JSON_STRING else { return true }
            // A code point takes 1 to 4 bytes, so the byte length often settles it without counting.
            let bytes = json_string_length(instance)
            if bytes <= limit || Self.codePoints(instance) <= limit { return true }
            ev.fail(node, "maxLength", "the string is longer than \(limit) characters")
            return false
        case .minLength(let limit):
            guard type == JSON_STRING else { return true }
            let bytes = json_string_length(instance)
            if bytes >= limit &* 4 || (bytes >= limit && Self.codePoints(instance) >= limit) { return true }
            ev.fail(node, "minLength", "the string is shorter than \(limit) characters")
            return false

        case .pattern(let regex):
            guard type == JSON_STRING else { return true }
            let pattern = regex.takeUnretainedValue()
            switch pattern.search(instance) {
            case .match: return true
            case .noMatch: ev.fail(node, "pattern", "\(Self.excerpt(instance)) does not match the pattern \(pattern.source)")
            case .gaveUp:
                ev.fail(node, "pattern", "the pattern \(pattern.source) gave up on \(Self.excerpt(instance)): matching would "
                    + "take too long (a pattern with backreferences, or a very long string); simplify the pattern")
            }
            return false

        case .format(let name, let checker):
            guard type == JSON_STRING else { return true }
            if checker.takeUnretainedValue().check(String(cString: json_string_value(instance))) { return true }
            ev.fail(node, "format", "\(Self.excerpt(instance)) is not a valid \(name.takeUnretainedValue().text)")
            return false

        case .maxItems(let limit):
            guard type == JSON_ARRAY, json_array_size(instance) > limit else { return true }
            ev.fail(node, "maxItems", "the array has \(json_array_size(instance)) items, more than \(limit)")
            return false
        case .minItems(let limit):
            guard type == JSON_ARRAY, json_array_size(instance) < limit else { return true }
            ev.fail(node, "minItems", "the array has \(json_array_size(instance)) items, fewer than \(limit)")
            return false
        case .uniqueItems:
            guard type == JSON_ARRAY else { return true }
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

        case .maxProperties(let limit):
            guard type == JSON_OBJECT, json_object_size(instance) > limit else { return true }
            ev.fail(node, "maxProperties", "the object has \(json_object_size(instance)) properties, more than \(limit)")
            return false
        case .minProperties(let limit):
            guard type == JSON_OBJECT, json_object_size(instance) < limit else { return true }
            ev.fail(node, "minProperties", "the object has \(json_object_size(instance)) properties, fewer than \(limit)")
            return false
        case .required(let keys):
            guard type == JSON_OBJECT else { return true }
            var valid = true
            for key in keys where key.lookup(in: instance) == nil {
                ev.fail(node, "required", "the required property \"\(key.name)\" is missing")
                valid = false
                if !ev.collecting { return false }
            }
            return valid
        case .dependentRequired(let dependencies):
            guard type == JSON_OBJECT else { return true }
            var valid = true
            for dependency in dependencies where dependency.trigger.lookup(in: instance) != nil {
                for key in dependency.required where key.lookup(in: instance) == nil {
                    ev.fail(node, "dependentRequired", "\"\(key.name)\" is required when \"\(dependency.trigger.name)\" is present")
                    valid = false
                    if !ev.collecting { return false }
                }
            }
            return valid

        case .properties(let properties):
            guard type == JSON_OBJECT else { return true }
            var valid = true
            for property in properties {
                guard let value = property.key.lookup(in: instance) else { continue }
                if !property.schema.descend(value, &ev, keyword: "properties", token: property.key.name,
                                                 instanceToken: property.key.name) {
                    valid = false
                    if !ev.collecting { return false }
                }
            }
            return valid
        case .objectShape(let properties, let additional, let required):
            guard type == JSON_OBJECT else { return true }
            var valid = true
            var seen: UInt64 = 0
            // Members usually come in the order the schema lists them (producers write them so), so each
            // search starts after the last property found: then one comparison finds a member.
            var start = 0
            var cursor = json_object_iter(instance)
            while let current = cursor {
                cursor = json_object_iter_next(instance, current)
                let key = json_object_iter_key(current)!
                let length = json_object_iter_key_len(current)
                var index = start
                var probes = 0
                while probes < properties.count && !properties[index].key.equals(key, length: length) {
                    index = index + 1 == properties.count ? 0 : index + 1
                    probes += 1
                }
                if probes < properties.count {
                    start = index + 1 == properties.count ? 0 : index + 1
                    seen |= 1 << UInt64(index)
                    if !properties[index].schema.descend(json_object_iter_value(current), &ev, keyword: "properties",
                                                              token: Self.string(key, length),
                                                              instanceToken: Self.string(key, length)) {
                        valid = false
                    }
                } else if additional.node.boolean == false {
                    ev.fail(node, "additionalProperties", "the property \"\(Self.string(key, length))\" is not allowed here")
                    valid = false
                } else if !additional.descend(json_object_iter_value(current), &ev, keyword: "additionalProperties",
                                                   instanceToken: Self.string(key, length)) {
                    valid = false
                }
                if !valid && !ev.collecting { return false }
            }
            if seen & required != required {
                for index in properties.indices where required & (1 << UInt64(index)) != 0 && seen & (1 << UInt64(index)) == 0 {
                    ev.fail(node, "required", "the required property \"\(properties[index].key.name)\" is missing")
                }
                return false
            }
            return valid
        case .patternProperties(let patterns):
            guard type == JSON_OBJECT else { return true }
            var valid = true
            var cursor = json_object_iter(instance)
            while let current = cursor {
                cursor = json_object_iter_next(instance, current)
                let key = json_object_iter_key(current)!
                let length = json_object_iter_key_len(current)
                for pattern in patterns where pattern.regex.takeUnretainedValue().matches(key, length: length) {
                    if !pattern.schema.descend(json_object_iter_value(current), &ev, keyword: "patternProperties",
                                                    token: pattern.regex.takeUnretainedValue().source,
                                                    instanceToken: Self.string(key, length)) {
                        valid = false
                        if !ev.collecting { return false }
                    }
                }
            }
            return valid
        case .additionalProperties(let schema, let properties, let patterns):
            guard type == JSON_OBJECT else { return true }
            var valid = true
            var cursor = json_object_iter(instance)
            while let current = cursor {
                cursor = json_object_iter_next(instance, current)
                let key = json_object_iter_key(current)!
                let length = json_object_iter_key_len(current)
                if properties.contains(where: { $0.equals(key, length: length) }) { continue }
                if patterns.contains(where: { $0.takeUnretainedValue().matches(key, length: length) }) { continue }
                if schema.node.boolean == false {
                    ev.fail(node, "additionalProperties", "the property \"\(Self.string(key, length))\" is not allowed here")
                    valid = false
                } else if !schema.descend(json_object_iter_value(current), &ev, keyword: "additionalProperties",
                                               instanceToken: Self.string(key, length)) {
                    valid = false
                }
                if !valid && !ev.collecting { return false }
            }
            return valid
        case .propertyNames(let schema):
            guard type == JSON_OBJECT else { return true }
            var valid = true
            var cursor = json_object_iter(instance)
            while let current = cursor {
                cursor = json_object_iter_next(instance, current)
                let name = json_stringn_nocheck(json_object_iter_key(current), json_object_iter_key_len(current))!
                defer { json_decref(name) }
                if !schema.descend(name, &ev, keyword: "propertyNames",
                                        instanceToken: Self.string(json_object_iter_key(current)!, json_object_iter_key_len(current))) {
                    valid = false
                    if !ev.collecting { return false }
                }
            }
            return valid
        case .dependentSchemas(let dependencies):
            guard type == JSON_OBJECT else { return true }
            var valid = true
            for dependency in dependencies where dependency.key.lookup(in: instance) != nil {
                if !dependency.schema.descend(instance, &ev, keyword: "dependentSchemas", token: dependency.key.name) {
                    valid = false
                    if !ev.collecting { return false }
                }
            }
            return valid

        case .prefixItems(let schemas):
            guard type == JSON_ARRAY else { return true }
            var valid = true
            for index in 0..<min(schemas.count, json_array_size(instance)) {
                if !schemas[index].descend(json_array_get(instance, index), &ev, keyword: "prefixItems",
                                                token: String(index), instanceToken: String(index)) {
                    valid = false
                    if !ev.collecting { return false }
                }
            }
            return valid
        case .items(let schema, let after):
            guard type == JSON_ARRAY else { return true }
            let count = json_array_size(instance)
            guard count > after else { return true }
            var valid = true
            for index in after..<count {
                if !schema.descend(json_array_get(instance, index), &ev, keyword: "items",
                                        instanceToken: String(index)) {
                    valid = false
                    if !ev.collecting { return false }
                }
            }
            return valid
        case .contains(let schema, let minimum, let maximum):
            guard type == JSON_ARRAY else { return true }
            var matches = 0
            for index in 0..<json_array_size(instance) {
                if ev.quietly({ schema.validate(json_array_get(instance, index), &$0) }) {
                    matches += 1
                    if maximum == Int.max && matches >= minimum { return true }
                }
            }
            if matches < minimum {
                ev.fail(node, "contains", minimum == 1 ? "no item matches the \"contains\" schema"
                        : "only \(matches) items match the \"contains\" schema, fewer than \(minimum)")
                return false
            }
            if matches > maximum {
                ev.fail(node, "contains", "\(matches) items match the \"contains\" schema, more than \(maximum)")
                return false
            }
            return true

        case .allOf(let schemas):
            var valid = true
            for (index, schema) in schemas.enumerated()
            where !schema.descend(instance, &ev, keyword: "allOf", token: String(index)) {
                valid = false
                if !ev.collecting { return false }
            }
            return valid
        case .anyOf(let schemas):
            guard ev.collecting else {
                for schema in schemas where schema.validate(instance, &ev) { return true }
                return false
            }
            let mark = ev.errors.count
            for (index, schema) in schemas.enumerated()
            where schema.descend(instance, &ev, keyword: "anyOf", token: String(index)) {
                ev.errors.removeSubrange(mark...)
                return true
            }
            ev.fail(node, "anyOf", "the value matches none of the \(schemas.count) \"anyOf\" schemas")
            return false
        case .oneOf(let schemas):
            let mark = ev.errors.count
            var matched: [Int] = []
            for (index, schema) in schemas.enumerated()
            where schema.descend(instance, &ev, keyword: "oneOf", token: String(index)) {
                matched.append(index)
                if matched.count > 1 && !ev.collecting { return false }
            }
            if matched.count == 1 {
                if ev.collecting { ev.errors.removeSubrange(mark...) }
                return true
            }
            if matched.isEmpty {
                ev.fail(node, "oneOf", "the value matches none of the \(schemas.count) \"oneOf\" schemas")
            } else {
                if ev.collecting { ev.errors.removeSubrange(mark...) }
                ev.fail(node, "oneOf", "the value matches more than one \"oneOf\" schema (\(matched.map(String.init).joined(separator: ", ")))")
            }
            return false
        case .not(let schema):
            guard ev.quietly({ schema.validate(instance, &$0) }) else { return true }
            ev.fail(node, "not", "the value must not match the \"not\" schema")
            return false
        case .conditional(let condition, let then, let otherwise):
            if ev.quietly({ condition.validate(instance, &$0) }) {
                return then?.descend(instance, &ev, keyword: "then") ?? true
            }
            return otherwise?.descend(instance, &ev, keyword: "else") ?? true

        case .ref(let target):
            return target.follow(instance, &ev, keyword: "$ref")
        case .dynamicRef(let initial, let anchor):
            return Self.dynamicTarget(initial, anchor, &ev).follow(instance, &ev, keyword: "$dynamicRef")

        case .unevaluatedProperties(let schema):
            guard type == JSON_OBJECT else { return true }
            var evaluated = EvaluatedProperties()
            ev.quietly { node.collectProperties(instance, into: &evaluated, &$0, asking: true) }
            if evaluated.all { return true }
            var valid = true
            var cursor = json_object_iter(instance)
            while let current = cursor {
                cursor = json_object_iter_next(instance, current)
                let name = Self.string(json_object_iter_key(current)!, json_object_iter_key_len(current))
                if evaluated.names.contains(name) { continue }
                if schema.node.boolean == false {
                    ev.fail(node, "unevaluatedProperties", "the property \"\(name)\" is not allowed here (unevaluated)")
                    valid = false
                } else if !schema.descend(json_object_iter_value(current), &ev, keyword: "unevaluatedProperties",
                                               instanceToken: name) {
                    valid = false
                }
                if !valid && !ev.collecting { return false }
            }
            return valid
        case .unevaluatedItems(let schema):
            guard type == JSON_ARRAY else { return true }
            var evaluated = EvaluatedItems()
            ev.quietly { node.collectItems(instance, into: &evaluated, &$0, asking: true) }
            let count = json_array_size(instance)
            guard evaluated.prefix < count else { return true }
            var valid = true
            for index in evaluated.prefix..<count where !evaluated.indices.contains(index) {
                if schema.node.boolean == false {
                    ev.fail(node, "unevaluatedItems", "item \(index) is not allowed here (unevaluated)")
                    valid = false
                } else if !schema.descend(json_array_get(instance, index), &ev, keyword: "unevaluatedItems",
                                               instanceToken: String(index)) {
                    valid = false
                }
                if !valid && !ev.collecting { return false }
            }
            return valid
        }
    }

    // MARK: Helpers

    static func string(_ bytes: UnsafePointer<CChar>, _ length: Int) -> String {
        bytes.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
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
