import BookshelfJSON
import BookshelfJSONSchema

/// Builds small documents a schema accepts: the smallest instance (required properties only,
/// lower bounds, the first enum value), and such an instance with a chosen value placed at an
/// instance path. A heuristic, never trusted alone: every document it builds for a witness is
/// checked with the validator.
struct InstanceGenerator {
    let documents: SchemaDocuments
    /// Optional properties to fill in all the same: what the other version requires, so that a
    /// witness is refused for its finding and not for a missing property.
    var alsoInclude: Set<String> = []
    /// Deeper than this, a recursive schema gets `null` and the validator decides.
    private static let maximumDepth = 12

    /// The document the schema at `root` accepts with `hint` at `path` (property names and
    /// array indices), or nil when the schema leaves no room for it.
    func document(in root: SchemaLocation, path: ArraySlice<String>, hint: WitnessHint, depth: Int = 0) -> JSONValue? {
        guard depth < Self.maximumDepth, let schema = resolve(root) else { return nil }
        guard let token = path.first else { return leaf(hint, in: schema) }
        let rest = path.dropFirst()
        if let index = Int(token), String(index) == token, Self.isArraySchema(schema.schema) {
            var elements: [JSONValue] = []
            for position in 0..<index {
                guard let item = minimal(itemSchema(schema, at: position), depth: depth + 1) else { return nil }
                elements.append(item)
            }
            guard let last = document(in: itemSchema(schema, at: index), path: rest, hint: hint, depth: depth + 1) else { return nil }
            elements.append(last)
            return .array(elements)
        }
        let parts = objectParts(schema)
        var members = minimalMembers(parts, depth: depth).filter { $0.0 != token }
        guard let value = document(in: parts.schema(for: token), path: rest, hint: hint, depth: depth + 1) else { return nil }
        members.append((token, value))
        return .object(members)
    }

    /// The value `hint` describes, where the writer's schema is `schema`.
    func leaf(_ hint: WitnessHint, in schema: SchemaLocation) -> JSONValue? {
        switch hint {
        case .value(let value):
            return value
        case .minimal(let type):
            return minimal(schema, type: type)
        case .objectWithout(let name):
            guard let object = minimal(schema, type: "object"), object.isObject else { return nil }
            return object.removing(name)
        case .objectWith(let name, let other):
            guard let object = minimal(schema, type: "object"), object.isObject else { return nil }
            let parts = objectParts(schema)
            guard let value = minimal(parts.schema(for: name), depth: 1) else { return nil }
            return .object(object.members.filter { $0.key != name && $0.key != other }.map { ($0.key, $0.value) } + [(name, value)])
        case .array(let count, let duplicate):
            var elements: [JSONValue] = []
            for position in 0..<count {
                guard let item = minimal(itemSchema(schema, at: duplicate ? 0 : position), depth: 1) else { return nil }
                elements.append(item)
            }
            return .array(elements)
        case .object(let extra):
            guard let object = minimal(schema, type: "object"), object.isObject else { return nil }
            let parts = objectParts(schema)
            var members = object.members.map { ($0.key, $0.value) }
            let optional = parts.properties.map(\.name).filter { object[$0] == nil }
            for index in 0..<extra {
                let name = index < optional.count ? optional[index] : "extra\(index)"
                guard let value = minimal(parts.schema(for: name), depth: 1) else { return nil }
                members.append((name, value))
            }
            return .object(members)
        }
    }

    /// The smallest value `location` accepts, of `type` when given; nil for `false`.
    func minimal(_ location: SchemaLocation, type: String? = nil, depth: Int = 0) -> JSONValue? {
        guard depth < Self.maximumDepth, let location = resolve(location) else { return nil }
        let schema = location.schema
        if let accepts = schema.bool { return accepts ? .null : nil }
        if let (_, values) = Comparison.values(schema) {
            return values.first { type == nil || Comparison.typeName($0) == type || (type == "number" && $0.isNumber) }
        }
        for keyword in ["allOf", "anyOf", "oneOf"] where Comparison.types(schema) == nil && type == nil {
            // A composition without a type of its own: the first branch says what the value is.
            if let first = location.child(keyword, "0"), let value = minimal(first, depth: depth + 1) {
                return keyword == "allOf" && value.isObject ? minimal(location, type: "object", depth: depth + 1) : value
            }
        }
        switch type ?? Self.preferredType(schema) {
        case "object":
            return .object(minimalMembers(objectParts(location), depth: depth))
        case "array":
            var elements: [JSONValue] = []
            for position in 0..<max(schema["minItems"]?.int ?? 0, 0) {
                guard let item = minimal(itemSchema(location, at: position), depth: depth + 1) else { return nil }
                elements.append(item)
            }
            return .array(elements)
        case "string":
            return minimalString(schema)
        case "integer", "number":
            return minimalNumber(schema, integer: (type ?? Self.preferredType(schema)) == "integer")
        case "boolean":
            return false
        default:
            return .null
        }
    }

    // MARK: parts of a schema

    /// Every property name some `required` of the schema names, at any depth.
    static func requiredNames(in schema: JSONValue) -> Set<String> {
        var names: Set<String> = []
        func walk(_ value: JSONValue) {
            if value.isObject {
                for (key, member) in value.members {
                    if key == "required", member.isArray { names.formUnion(member.elements.compactMap(\.string)) } else { walk(member) }
                }
            } else if value.isArray {
                value.elements.forEach(walk)
            }
        }
        walk(schema)
        return names
    }

    /// Follows `$ref` chains.
    func resolve(_ location: SchemaLocation) -> SchemaLocation? {
        var current = location
        var seen: Set<String> = []
        while let reference = current.schema["$ref"]?.string, seen.insert(current.uri).inserted {
            guard let target = documents.resolve(reference, from: current) else { return nil }
            current = target
        }
        return current
    }

    /// An object schema's properties, required names and `additionalProperties`, with those of
    /// its `allOf` branches and of the first `anyOf`/`oneOf` branch merged in.
    struct ObjectParts {
        var properties: [(name: String, schema: SchemaLocation)] = []
        var required: [String] = []
        var additional: SchemaLocation?
        var minProperties = 0

        func schema(for name: String) -> SchemaLocation {
            properties.first { $0.name == name }?.schema
                ?? additional
                ?? SchemaLocation(schema: .bool(true), document: "", pointer: "")
        }
    }

    func objectParts(_ location: SchemaLocation, depth: Int = 0) -> ObjectParts {
        var parts = ObjectParts()
        guard depth < 4, let location = resolve(location) else { return parts }
        let schema = location.schema
        for name in schema["properties"]?.keys ?? [] {
            if let property = location.child("properties", name) { parts.properties.append((name, property)) }
        }
        parts.required = schema["required"]?.elements.compactMap(\.string) ?? []
        parts.additional = location.child("additionalProperties")
        parts.minProperties = schema["minProperties"]?.int ?? 0
        var branches = (0..<(schema["allOf"]?.count ?? 0)).compactMap { location.child("allOf", String($0)) }
        branches += ["anyOf", "oneOf"].compactMap { location.child($0, "0") }
        for branch in branches {
            let inner = objectParts(branch, depth: depth + 1)
            for property in inner.properties where !parts.properties.contains(where: { $0.name == property.name }) {
                parts.properties.append(property)
            }
            parts.required += inner.required.filter { !parts.required.contains($0) }
            parts.additional = parts.additional ?? inner.additional
            parts.minProperties = max(parts.minProperties, inner.minProperties)
        }
        return parts
    }

    private func minimalMembers(_ parts: ObjectParts, depth: Int) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = []
        for name in parts.required {
            if let value = minimal(parts.schema(for: name), depth: depth + 1) { members.append((name, value)) }
        }
        for property in parts.properties where alsoInclude.contains(property.name) && !parts.required.contains(property.name) {
            if let value = minimal(property.schema, depth: depth + 1) { members.append((property.name, value)) }
        }
        for property in parts.properties where members.count < parts.minProperties && !members.contains(where: { $0.0 == property.name }) {
            if let value = minimal(property.schema, depth: depth + 1) { members.append((property.name, value)) }
        }
        return members
    }

    /// The schema of the array element at `position`.
    func itemSchema(_ location: SchemaLocation, at position: Int) -> SchemaLocation {
        let location = resolve(location) ?? location
        if let prefix = location.child("prefixItems", String(position)) { return prefix }
        return location.child("items") ?? SchemaLocation(schema: .bool(true), document: location.document, pointer: location.pointer + "/items")
    }

    private static func isArraySchema(_ schema: JSONValue) -> Bool {
        if let types = Comparison.types(schema) { return types.contains("array") }
        return schema["items"] != nil || schema["prefixItems"] != nil || schema.bool == true
            || schema["properties"] == nil
    }

    /// The type an untyped schema's keywords suggest, else the first of its `type`.
    private static func preferredType(_ schema: JSONValue) -> String {
        if let types = Comparison.types(schema) {
            return ["object", "string", "integer", "number", "array", "boolean", "null"].first(where: types.contains) ?? "null"
        }
        if schema["properties"] != nil || schema["required"] != nil || schema["additionalProperties"] != nil { return "object" }
        if schema["items"] != nil || schema["prefixItems"] != nil || schema["minItems"] != nil { return "array" }
        if schema["pattern"] != nil || schema["minLength"] != nil || schema["maxLength"] != nil { return "string" }
        if schema["minimum"] != nil || schema["maximum"] != nil || schema["multipleOf"] != nil { return "number" }
        return "null"
    }

    // MARK: scalars

    private static let formatSamples: [String: JSONValue] = [
        "uuid": "00000000-0000-4000-8000-000000000000", "date-time": "2026-01-01T00:00:00Z", "date": "2026-01-01",
        "time": "00:00:00Z", "uri": "https://example.com/", "uri-reference": "/example", "email": "a@example.com",
        "hostname": "example.com", "ipv4": "192.0.2.1", "ipv6": "2001:db8::1", "duration": "P1D",
    ]

    private func minimalString(_ schema: JSONValue) -> JSONValue? {
        let minLength = schema["minLength"]?.int ?? 0
        let maxLength = schema["maxLength"]?.int
        let filler: JSONValue = .string(String(repeating: "a", count: max(minLength, maxLength == 0 ? 0 : 1)))
        let preferred = schema["format"]?.string.flatMap { Self.formatSamples[$0] }
        guard schema["pattern"] != nil || preferred != nil else { return filler }
        var constraints: [(String, JSONValue)] = [("type", "string")]
        for keyword in ["pattern", "minLength", "maxLength"] {
            if let value = schema[keyword] { constraints.append((keyword, value)) }
        }
        guard let check = try? SchemaRegistry().compile(.object(constraints)) else { return nil }
        // One character repeated, at each length the bounds allow: digits-only and letters-only
        // patterns (an ISBN, a code) find a match among these.
        let longest = min(maxLength ?? minLength + 16, minLength + 40)
        let runs = (minLength...max(longest, minLength)).flatMap { length in
            ["a", "0", "1", "A", "9"].map { String(repeating: $0, count: length) }
        }
        let tries = [preferred, filler].compactMap { $0 } + WitnessSamples.strings + runs.map(JSONValue.string)
            + ["a1", "A1", "aA1"].map(JSONValue.string)
        return tries.first(where: check.isValid)
    }

    private func minimalNumber(_ schema: JSONValue, integer: Bool) -> JSONValue {
        var value = 0.0
        if let minimum = schema["minimum"]?.double { value = Swift.max(value, minimum) }
        if let minimum = schema["exclusiveMinimum"]?.double, value <= minimum { value = integer ? minimum.rounded(.down) + 1 : minimum + 0.5 }
        if let maximum = schema["maximum"]?.double, value > maximum { value = maximum }
        if let maximum = schema["exclusiveMaximum"]?.double, value >= maximum { value = integer ? maximum.rounded(.up) - 1 : maximum - 0.5 }
        if let minimum = schema["minimum"]?.double, value < minimum { value = minimum }
        if integer { value = value.rounded(.up) }
        if let step = schema["multipleOf"]?.double, step > 0 { value = (value / step).rounded(.up) * step }
        return WitnessSamples.number(value)
    }
}
