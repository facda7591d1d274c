import BookshelfJSON
import JSONSchema

/// Which readers must understand which writers, as in Confluent Schema Registry.
public enum CompatibilityMode: String, Sendable, CaseIterable {
    /// The new schema reads data written with the old one (consumers upgrade first).
    case backward
    /// The old schema reads data written with the new one (producers upgrade first).
    case forward
    /// Both.
    case full
}

/// One reason two schema versions are incompatible.
public struct Incompatibility: Sendable, Hashable, CustomStringConvertible {
    public enum Direction: String, Sendable, Hashable {
        /// The new schema cannot read some data the old schema accepts.
        case backward
        /// The old schema cannot read some data the new schema accepts.
        case forward
    }

    public let direction: Direction
    /// JSON pointer into the reading schema (the new one for backward, the old one for forward).
    public let location: String
    public let reason: String

    public var description: String {
        "\(direction.rawValue) #\(location): \(reason)"
    }
}

/// Decides whether a reader schema accepts everything a writer schema accepts, by the rules
/// Confluent Schema Registry applies to JSON Schema. A structural comparison, not a proof: it
/// errs on the side of "incompatible" where it cannot analyse a keyword (see `unanalysed`).
///
/// The content model decides what adding or removing a property means: in a closed model
/// (`additionalProperties: false`) old data never carries an unknown property, so a reader may
/// add an optional one; in an open model old data may carry it with any value, so adding it with
/// a schema is incompatible, while removing one is compatible.
public struct CompatibilityChecker: Sendable {
    private let documents: SchemaDocuments

    /// `schemas` are the documents, by `$id`, that `$ref`s outside the compared schemas may name.
    public init(schemas: [String: JSONValue] = [:]) {
        documents = SchemaDocuments(byID: schemas)
    }

    /// The reasons `new` is not `mode`-compatible with `old`; empty when it is.
    public func check(old: JSONValue, new: JSONValue, mode: CompatibilityMode) -> [Incompatibility] {
        var documents = documents
        let oldID = Self.documentID(of: old, fallback: "urn:bookshelf:compat:old")
        let newID = Self.documentID(of: new, fallback: "urn:bookshelf:compat:new")
        // Two versions often share an `$id` base but never the same `$id`; when they do (a file
        // compared with an edited copy), each side still resolves its own `#` references.
        let (oldKey, newKey) = oldID == newID ? (oldID + "?old", newID + "?new") : (oldID, newID)
        documents.byID[oldKey] = old
        documents.byID[newKey] = new
        let oldRoot = SchemaLocation(schema: old, document: oldKey, pointer: "")
        let newRoot = SchemaLocation(schema: new, document: newKey, pointer: "")
        var reasons: [Incompatibility] = []
        if mode != .forward {
            var comparison = Comparison(documents: documents, direction: .backward)
            comparison.compare(writer: oldRoot, reader: newRoot, at: "")
            reasons += comparison.reasons
        }
        if mode != .backward {
            var comparison = Comparison(documents: documents, direction: .forward)
            comparison.compare(writer: newRoot, reader: oldRoot, at: "")
            reasons += comparison.reasons
        }
        return reasons
    }

    private static func documentID(of schema: JSONValue, fallback: String) -> String {
        guard let id = schema["$id"]?.string, SchemaReference.hasScheme(id) else { return fallback }
        return SchemaReference.split(id).uri
    }
}

/// One direction of a check: does `reader` accept everything `writer` accepts?
private struct Comparison {
    let documents: SchemaDocuments
    let direction: Incompatibility.Direction
    var reasons: [Incompatibility] = []
    /// Pairs already being compared, so recursive schemas terminate.
    private var visiting: Set<String> = []

    init(documents: SchemaDocuments, direction: Incompatibility.Direction) {
        self.documents = documents
        self.direction = direction
    }

    /// Keywords this checker does not analyse: a reader that adds or changes one is reported.
    static let unanalysed = [
        "if", "then", "else", "not", "patternProperties", "propertyNames", "dependentSchemas",
        "contains", "minContains", "maxContains", "unevaluatedItems", "unevaluatedProperties",
        "$dynamicRef",
    ]

    mutating func report(_ location: String, _ reason: String) {
        reasons.append(Incompatibility(direction: direction, location: location, reason: reason))
    }

    mutating func compare(writer: SchemaLocation, reader: SchemaLocation, at path: String) {
        // In 2020-12 a `$ref` applies alongside its siblings: a reader must accept the writer's
        // data under both. (A writer's siblings are ignored, which can only over-report.)
        if reader.schema["$ref"] != nil, !Self.isUnconstrained(reader.schema.removing("$ref")) {
            let siblings = SchemaLocation(schema: reader.schema.removing("$ref"), document: reader.document, pointer: reader.pointer)
            compare(writer: writer, reader: siblings, at: path)
        }
        guard let writer = dereference(writer, at: path), let reader = dereference(reader, at: path) else { return }
        let key = writer.uri + " " + reader.uri
        guard !visiting.contains(key) else { return }
        visiting.insert(key)
        defer { visiting.remove(key) }

        let (w, r) = (writer.schema, reader.schema)
        if r.bool == true || (r.isObject && Self.isUnconstrained(r)) { return }
        if w.bool == false { return }
        if r.bool == false {
            report(path, "accepts nothing (false) where data was accepted before")
            return
        }
        let writerOpen = w.bool == true

        compareTypes(w, r, at: path, writerOpen: writerOpen)
        compareEnums(w, r, at: path)
        // A keyword that applies to one type only cannot refuse data of the types the writer accepted
        // unless the writer accepted that type: a `pattern` added where the old schema allowed integers only
        // changes nothing for old data.
        let writerTypes = writerOpen ? nil : Self.acceptedTypes(w)
        let writes = { (type: String) in writerTypes?.contains(type) ?? true }
        compareBounds(w, r, at: path, writes: writes)
        if writes("string") { comparePattern(w, r, at: path) }
        if writes("array") {
            if r["uniqueItems"]?.bool == true, w["uniqueItems"]?.bool != true {
                report(path + "/uniqueItems", "uniqueItems added")
            }
            compareArrays(writer, reader, at: path)
        }
        if writes("object") { compareObjects(writer, reader, at: path) }
        compareCompositions(writer, reader, at: path)
        for keyword in Self.unanalysed {
            if let readerValue = r[keyword], w[keyword] != readerValue {
                report(JSONPointer.appending(keyword, to: path),
                       "\(keyword) \(w[keyword] == nil ? "added" : "changed") (not analysed, so treated as incompatible)")
            }
        }
    }

    /// Follows `$ref` (and `$ref` chains); reports a reference that names nothing.
    private mutating func dereference(_ location: SchemaLocation, at path: String) -> SchemaLocation? {
        var current = location
        var seen: Set<String> = []
        while let reference = current.schema["$ref"]?.string {
            guard seen.insert(current.uri).inserted else { return current }
            guard let target = documents.resolve(reference, from: current) else {
                report(path + "/$ref", "$ref \"\(reference)\" resolves to no loaded schema")
                return nil
            }
            current = target
        }
        return current
    }

    /// True for a schema with no assertion at all (only annotations), which accepts anything.
    private static func isUnconstrained(_ schema: JSONValue) -> Bool {
        let annotations: Set<String> = [
            "$schema", "$id", "$comment", "$defs", "$anchor", "title", "description", "default",
            "examples", "deprecated", "readOnly", "writeOnly", "format", "contentMediaType",
            "contentEncoding",
        ]
        return schema.keys.allSatisfy(annotations.contains)
    }

    // MARK: types and values

    private static func types(_ schema: JSONValue) -> Set<String>? {
        guard let type = schema["type"] else { return nil }
        if let single = type.string { return [single] }
        return Set(type.elements.compactMap(\.string))
    }

    private mutating func compareTypes(_ w: JSONValue, _ r: JSONValue, at path: String, writerOpen: Bool) {
        guard let readerTypes = Self.types(r) else { return }
        guard let writerTypes = writerOpen ? nil : Self.types(w) ?? Self.values(w).map({ Set($0.values.map(Self.typeName)) }) else {
            report(path + "/type", "type \(Self.list(readerTypes)) added")
            return
        }
        let narrowed = writerTypes.filter { type in
            !(readerTypes.contains(type) || (type == "integer" && readerTypes.contains("number")))
        }
        if !narrowed.isEmpty {
            report(path + "/type", "type narrowed from \(Self.list(writerTypes)) to \(Self.list(readerTypes))")
        }
    }

    /// The JSON types a schema's `type` (or its `enum`/`const` values) lets through, "integer" standing for
    /// whole numbers and "number" for all of them; nil when it says nothing about types.
    private static func acceptedTypes(_ schema: JSONValue) -> Set<String>? {
        guard var accepted = types(schema) ?? values(schema).map({ Set($0.values.map(typeName)) }) else { return nil }
        if accepted.contains("number") { accepted.insert("integer") }
        return accepted
    }

    /// The JSON Schema type of a value, "integer" for numbers without a fraction.
    private static func typeName(_ value: JSONValue) -> String {
        switch value.kind {
        case .number: value.isInteger ? "integer" : "number"
        case .bool: "boolean"
        default: value.kind.rawValue
        }
    }

    private static func list(_ types: Set<String>) -> String {
        "[" + types.sorted().joined(separator: ", ") + "]"
    }

    private static func values(_ schema: JSONValue) -> (keyword: String, values: [JSONValue])? {
        if let const = schema["const"] { return ("const", [const]) }
        if let values = schema["enum"], values.isArray { return ("enum", Array(values.elements)) }
        return nil
    }

    private mutating func compareEnums(_ w: JSONValue, _ r: JSONValue, at path: String) {
        guard let (keyword, readerValues) = Self.values(r) else { return }
        let location = path + "/" + keyword
        guard let (_, writerValues) = Self.values(w) else {
            report(location, "\(keyword) added: values accepted before are now rejected")
            return
        }
        for value in writerValues where !readerValues.contains(value) {
            report(location, "enum value \(value.serialized()) removed")
        }
    }

    // MARK: bounds and patterns

    /// The type each bound applies to: a number bound constrains integers too.
    private static let boundTypes = [
        "maxLength": "string", "minLength": "string", "maxItems": "array", "minItems": "array",
        "maxProperties": "object", "minProperties": "object", "maximum": "integer", "minimum": "integer",
        "exclusiveMaximum": "integer", "exclusiveMinimum": "integer", "multipleOf": "integer",
    ]

    private mutating func compareBounds(_ w: JSONValue, _ r: JSONValue, at path: String, writes: (String) -> Bool) {
        for keyword in ["maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum"] where writes(Self.boundTypes[keyword]!) {
            guard let readerBound = r[keyword]?.double else { continue }
            let location = path + "/" + keyword
            if let writerBound = w[keyword]?.double {
                if readerBound < writerBound { report(location, "\(keyword) decreased from \(Self.number(writerBound)) to \(Self.number(readerBound))") }
            } else {
                report(location, "\(keyword) \(Self.number(readerBound)) added")
            }
        }
        for (keyword, implied) in [("minLength", 0.0), ("minItems", 0), ("minProperties", 0), ("minimum", nil), ("exclusiveMinimum", nil)] as [(String, Double?)]
        where writes(Self.boundTypes[keyword]!) {
            guard let readerBound = r[keyword]?.double else { continue }
            let location = path + "/" + keyword
            if let writerBound = w[keyword]?.double ?? implied {
                if readerBound > writerBound {
                    report(location, "\(keyword) \(w[keyword] == nil ? "added" : "increased from \(Self.number(writerBound)) to") \(Self.number(readerBound))")
                }
            } else {
                report(location, "\(keyword) \(Self.number(readerBound)) added")
            }
        }
        if writes("integer"), let readerStep = r["multipleOf"]?.double {
            let location = path + "/multipleOf"
            if let writerStep = w["multipleOf"]?.double {
                // Exact decimals, as the validator compares: 0.03 is a multiple of 0.01 though 0.03 / 0.01 is not 3 in doubles.
                guard let writerDecimal = Self.decimal(w["multipleOf"]), let readerDecimal = Self.decimal(r["multipleOf"]),
                      readerDecimal.significand != 0, writerDecimal.isMultiple(of: readerDecimal) else {
                    report(location, "multipleOf changed from \(Self.number(writerStep)) to \(Self.number(readerStep))")
                    return
                }
            } else {
                report(location, "multipleOf \(Self.number(readerStep)) added")
            }
        }
    }

    private static func decimal(_ value: JSONValue?) -> ExactDecimal? {
        switch value?.number {
        case .integer(let integer): ExactDecimal(integer)
        case .real(let real): ExactDecimal(real)
        case nil: nil
        }
    }

    private static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    private mutating func comparePattern(_ w: JSONValue, _ r: JSONValue, at path: String) {
        guard let readerPattern = r["pattern"]?.string else { return }
        switch w["pattern"]?.string {
        case nil:
            report(path + "/pattern", "pattern \"\(readerPattern)\" added")
        case let writerPattern? where writerPattern != readerPattern:
            report(path + "/pattern", "pattern changed from \"\(writerPattern)\" to \"\(readerPattern)\"")
        default:
            break
        }
    }

    // MARK: arrays

    private mutating func compareArrays(_ writer: SchemaLocation, _ reader: SchemaLocation, at path: String) {
        let writerPrefix = writer.schema["prefixItems"]?.count ?? 0
        let readerPrefix = reader.schema["prefixItems"]?.count ?? 0
        for index in 0..<max(writerPrefix, readerPrefix) {
            let position = String(index)
            let w = index < writerPrefix ? writer.child("prefixItems", position) : itemsSchema(writer)
            let r = index < readerPrefix ? reader.child("prefixItems", position) : itemsSchema(reader)
            let location = index < readerPrefix ? path + "/prefixItems/" + position : path + "/items"
            if let w, let r { compare(writer: w, reader: r, at: location) }
        }
        if let r = reader.child("items"), let w = itemsSchema(writer) {
            compare(writer: w, reader: r, at: path + "/items")
        }
    }

    /// The schema of the array items after `prefixItems`; absent `items` accepts anything.
    private func itemsSchema(_ location: SchemaLocation) -> SchemaLocation? {
        location.child("items") ?? SchemaLocation(schema: .bool(true), document: location.document, pointer: location.pointer + "/items")
    }

    // MARK: objects

    /// What an object's unlisted properties may be: `additionalProperties`, `true` when absent.
    private func additionalSchema(_ location: SchemaLocation) -> SchemaLocation {
        location.child("additionalProperties")
            ?? SchemaLocation(schema: .bool(true), document: location.document, pointer: location.pointer + "/additionalProperties")
    }

    private mutating func compareObjects(_ writer: SchemaLocation, _ reader: SchemaLocation, at path: String) {
        let (w, r) = (writer.schema, reader.schema)
        let writerProperties = w["properties"]?.keys ?? []
        let readerProperties = r["properties"]?.keys ?? []
        let writerAdditional = additionalSchema(writer)
        let readerAdditional = additionalSchema(reader)

        for name in readerProperties {
            guard let readerProperty = reader.child("properties", name) else { continue }
            let location = JSONPointer.appending(name, to: path + "/properties")
            if let writerProperty = writer.child("properties", name) {
                compare(writer: writerProperty, reader: readerProperty, at: location)
            } else if writerAdditional.schema.bool == true, !Self.acceptsAnything(readerProperty.schema) {
                report(location, "property \"\(name)\" added to an open content model: old data may carry it with any value")
            } else {
                compare(writer: writerAdditional, reader: readerProperty, at: location)
            }
        }
        for name in writerProperties where !readerProperties.contains(name) {
            guard let writerProperty = writer.child("properties", name) else { continue }
            let location = JSONPointer.appending(name, to: path + "/properties")
            if readerAdditional.schema.bool == false {
                report(location, "property \"\(name)\" removed from a closed content model")
            } else {
                compare(writer: writerProperty, reader: readerAdditional, at: path + "/additionalProperties")
            }
        }
        if reader.child("additionalProperties") != nil {
            if readerAdditional.schema.bool == false, writerAdditional.schema.bool != false {
                report(path + "/additionalProperties", "content model closed: properties the old schema left open are now rejected")
            } else {
                compare(writer: writerAdditional, reader: readerAdditional, at: path + "/additionalProperties")
            }
        }

        let writerRequired = Set(w["required"]?.elements.compactMap(\.string) ?? [])
        for name in r["required"]?.elements.compactMap(\.string) ?? [] where !writerRequired.contains(name) {
            if r["properties"]?[name]?["default"] != nil { continue }
            let reason = writerProperties.contains(name)
                ? "property \"\(name)\" made required"
                : "required property \"\(name)\" added without a default"
            report(path + "/required", reason)
        }
        if let readerDependencies = r["dependentRequired"] {
            for (name, needed) in readerDependencies.members {
                let writerNeeded = Set(w["dependentRequired"]?[name]?.elements.compactMap(\.string) ?? [])
                for property in needed.elements.compactMap(\.string) where !writerNeeded.contains(property) {
                    report(JSONPointer.appending(name, to: path + "/dependentRequired"), "\"\(property)\" now required with \"\(name)\"")
                }
            }
        }
    }

    private static func acceptsAnything(_ schema: JSONValue) -> Bool {
        schema.bool == true || (schema.isObject && isUnconstrained(schema))
    }

    // MARK: compositions

    private mutating func compareCompositions(_ writer: SchemaLocation, _ reader: SchemaLocation, at path: String) {
        for keyword in ["anyOf", "oneOf"] {
            guard let readerBranches = reader.schema[keyword], readerBranches.isArray else { continue }
            let writerBranches: [SchemaLocation] = writer.schema[keyword].map { branches in
                branches.elements.indices.compactMap { writer.child(keyword, String($0)) }
            } ?? [writer]
            for (index, writerBranch) in writerBranches.enumerated() {
                let matched = readerBranches.elements.indices.contains { readerIndex in
                    guard let readerBranch = reader.child(keyword, String(readerIndex)) else { return false }
                    var trial = Comparison(documents: documents, direction: direction)
                    trial.visiting = visiting
                    trial.compare(writer: writerBranch, reader: readerBranch, at: path)
                    return trial.reasons.isEmpty
                }
                if !matched {
                    let what = writer.schema[keyword] == nil ? "the old schema" : "old branch \(index)"
                    report(path + "/" + keyword, "no branch accepts everything \(what) accepts")
                }
            }
        }
        if let readerBranches = reader.schema["allOf"], readerBranches.isArray {
            let writerBranches = writer.schema["allOf"]
            for index in readerBranches.elements.indices {
                guard let readerBranch = reader.child("allOf", String(index)) else { continue }
                let location = path + "/allOf/" + String(index)
                if let writerBranches, writerBranches.count == readerBranches.count,
                   let writerBranch = writer.child("allOf", String(index)) {
                    compare(writer: writerBranch, reader: readerBranch, at: location)
                } else {
                    compare(writer: writer, reader: readerBranch, at: location)
                }
            }
        }
    }
}

private extension JSONValue {
    /// This object without the member `key`.
    func removing(_ key: String) -> JSONValue {
        .object(members.filter { $0.key != key }.map { ($0.key, $0.value) })
    }
}
