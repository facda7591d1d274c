import BookshelfJSON
import BookshelfJSONSchema

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
    /// Which rule found it: a stable id, documented in docs/contracts-tooling.md.
    public let rule: CompatibilityRule
    public let reason: String
    /// Where in a document the difference shows: the instance path a witness is built along.
    package let instancePath: [String]

    package init(direction: Direction, location: String, rule: CompatibilityRule, reason: String, instancePath: [String] = []) {
        self.direction = direction
        self.location = location
        self.rule = rule
        self.reason = reason
        self.instancePath = instancePath
    }

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
    let documents: SchemaDocuments

    /// `schemas` are the documents, by `$id`, that `$ref`s outside the compared schemas may name.
    public init(schemas: [String: JSONValue] = [:]) {
        documents = SchemaDocuments(byID: schemas)
    }

    /// The reasons `new` is not `mode`-compatible with `old`; empty when it is.
    public func check(old: JSONValue, new: JSONValue, mode: CompatibilityMode) -> [Incompatibility] {
        let (documents, oldRoot, newRoot) = prepare(old: old, new: new)
        return comparisons(old: oldRoot, new: newRoot, documents: documents, mode: mode).flatMap { $0.findings.map(\.incompatibility) }
    }

    /// The roots of both versions with the documents `$ref` resolves in, and the keys they are
    /// registered under (distinct even when both versions declare the same `$id`).
    func prepare(old: JSONValue, new: JSONValue) -> (documents: SchemaDocuments, old: SchemaLocation, new: SchemaLocation) {
        var documents = documents
        let oldID = Self.documentID(of: old, fallback: "urn:bookshelf:compat:old")
        let newID = Self.documentID(of: new, fallback: "urn:bookshelf:compat:new")
        // Two versions often share an `$id` base but never the same `$id`; when they do (a file
        // compared with an edited copy), each side still resolves its own `#` references.
        let (oldKey, newKey) = oldID == newID ? (oldID + "?old", newID + "?new") : (oldID, newID)
        documents.byID[oldKey] = old
        documents.byID[newKey] = new
        return (documents, SchemaLocation(schema: old, document: oldKey, pointer: ""),
                SchemaLocation(schema: new, document: newKey, pointer: ""))
    }

    /// One comparison per direction `mode` asks for, backward first.
    func comparisons(old: SchemaLocation, new: SchemaLocation, documents: SchemaDocuments, mode: CompatibilityMode) -> [Comparison] {
        var result: [Comparison] = []
        if mode != .forward {
            var comparison = Comparison(documents: documents, direction: .backward)
            comparison.compare(writer: old, reader: new, at: "", instance: [])
            result.append(comparison)
        }
        if mode != .backward {
            var comparison = Comparison(documents: documents, direction: .forward)
            comparison.compare(writer: new, reader: old, at: "", instance: [])
            result.append(comparison)
        }
        return result
    }

    private static func documentID(of schema: JSONValue, fallback: String) -> String {
        guard let id = schema["$id"]?.string, SchemaReference.hasScheme(id) else { return fallback }
        return SchemaReference.split(id).uri
    }
}

/// One reason found by a comparison, with what a witness search needs: the schemas on both
/// sides where it was found and values likely to tell them apart there.
struct RuleFinding {
    let incompatibility: Incompatibility
    let writer: SchemaLocation
    let reader: SchemaLocation
    /// Values for the document at `incompatibility.instancePath`, the likeliest witness first.
    let candidates: [WitnessHint]
}

/// One direction of a check: does `reader` accept everything `writer` accepts?
struct Comparison {
    let documents: SchemaDocuments
    let direction: Incompatibility.Direction
    private(set) var findings: [RuleFinding] = []
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

    /// Where a comparison stands: the two schemas, the pointer into the reader, the path into a document.
    struct Site {
        let writer: SchemaLocation
        let reader: SchemaLocation
        let path: String
        let instance: [String]
    }

    mutating func report(_ rule: CompatibilityRule, _ site: Site, at location: String? = nil,
                         _ reason: String, candidates: [WitnessHint] = [], instance: [String]? = nil) {
        let incompatibility = Incompatibility(direction: direction, location: location ?? site.path, rule: rule,
                                              reason: reason, instancePath: instance ?? site.instance)
        findings.append(RuleFinding(incompatibility: incompatibility, writer: site.writer, reader: site.reader, candidates: candidates))
    }

    mutating func compare(writer: SchemaLocation, reader: SchemaLocation, at path: String, instance: [String]) {
        // In 2020-12 a `$ref` applies alongside its siblings: a reader must accept the writer's
        // data under both. (A writer's siblings are ignored, which can only over-report.)
        if reader.schema["$ref"] != nil, !Self.isUnconstrained(reader.schema.removing("$ref")) {
            let siblings = SchemaLocation(schema: reader.schema.removing("$ref"), document: reader.document, pointer: reader.pointer)
            compare(writer: writer, reader: siblings, at: path, instance: instance)
        }
        let unresolved = Site(writer: writer, reader: reader, path: path, instance: instance)
        guard let writer = dereference(writer, unresolved), let reader = dereference(reader, unresolved) else { return }
        let key = writer.uri + " " + reader.uri
        guard !visiting.contains(key) else { return }
        visiting.insert(key)
        defer { visiting.remove(key) }

        let site = Site(writer: writer, reader: reader, path: path, instance: instance)
        let (w, r) = (writer.schema, reader.schema)
        if r.bool == true || (r.isObject && Self.isUnconstrained(r)) { return }
        if w.bool == false { return }
        if r.bool == false {
            report(.schemaFalse, site, "accepts nothing (false) where data was accepted before")
            return
        }
        let writerOpen = w.bool == true

        compareTypes(site, writerOpen: writerOpen)
        compareEnums(site)
        // A keyword that applies to one type only cannot refuse data of the types the writer accepted
        // unless the writer accepted that type: a `pattern` added where the old schema allowed integers only
        // changes nothing for old data.
        let writerTypes = writerOpen ? nil : Self.acceptedTypes(w)
        let writes = { (type: String) in writerTypes?.contains(type) ?? true }
        compareBounds(site, writes: writes)
        if writes("string") { comparePattern(site) }
        if writes("array") {
            if r["uniqueItems"]?.bool == true, w["uniqueItems"]?.bool != true {
                report(.uniqueItemsAdded, site, at: path + "/uniqueItems", "uniqueItems added", candidates: [.array(count: 2, duplicate: true)])
            }
            compareArrays(site)
        }
        if writes("object") { compareObjects(site) }
        compareCompositions(site)
        for keyword in Self.unanalysed {
            if let readerValue = r[keyword], w[keyword] != readerValue {
                report(.keywordNotAnalysed, site, at: JSONPointer.appending(keyword, to: path),
                       "\(keyword) \(w[keyword] == nil ? "added" : "changed") (not analysed, so treated as incompatible)")
            }
        }
    }

    /// Follows `$ref` (and `$ref` chains); reports a reference that names nothing.
    private mutating func dereference(_ location: SchemaLocation, _ site: Site) -> SchemaLocation? {
        var current = location
        var seen: Set<String> = []
        while let reference = current.schema["$ref"]?.string {
            guard seen.insert(current.uri).inserted else { return current }
            guard let target = documents.resolve(reference, from: current) else {
                report(.referenceUnresolved, site, at: site.path + "/$ref", "$ref \"\(reference)\" resolves to no loaded schema")
                return nil
            }
            current = target
        }
        return current
    }

    /// True for a schema with no assertion at all (only annotations), which accepts anything.
    static func isUnconstrained(_ schema: JSONValue) -> Bool {
        let annotations: Set<String> = [
            "$schema", "$id", "$comment", "$defs", "$anchor", "title", "description", "default",
            "examples", "deprecated", "readOnly", "writeOnly", "format", "contentMediaType",
            "contentEncoding",
        ]
        return schema.keys.allSatisfy(annotations.contains)
    }

    // MARK: types and values

    static func types(_ schema: JSONValue) -> Set<String>? {
        guard let type = schema["type"] else { return nil }
        if let single = type.string { return [single] }
        return Set(type.elements.compactMap(\.string))
    }

    private mutating func compareTypes(_ site: Site, writerOpen: Bool) {
        let (w, r) = (site.writer.schema, site.reader.schema)
        guard let readerTypes = Self.types(r) else { return }
        let location = site.path + "/type"
        guard let writerTypes = writerOpen ? nil : Self.types(w) ?? Self.values(w).map({ Set($0.values.map(Self.typeName)) }) else {
            let missing = WitnessSamples.typeNames.filter { !readerTypes.contains($0) && !($0 == "integer" && readerTypes.contains("number")) }
            report(.typeAdded, site, at: location, "type \(Self.list(readerTypes)) added",
                   candidates: missing.flatMap { WitnessSamples.values(ofType: $0) })
            return
        }
        let narrowed = writerTypes.filter { type in
            !(readerTypes.contains(type) || (type == "integer" && readerTypes.contains("number")))
        }
        if !narrowed.isEmpty {
            report(.typeNarrowed, site, at: location, "type narrowed from \(Self.list(writerTypes)) to \(Self.list(readerTypes))",
                   candidates: narrowed.sorted().flatMap { WitnessSamples.values(ofType: $0) })
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
    static func typeName(_ value: JSONValue) -> String {
        switch value.kind {
        case .number: value.isInteger ? "integer" : "number"
        case .bool: "boolean"
        default: value.kind.rawValue
        }
    }

    private static func list(_ types: Set<String>) -> String {
        "[" + types.sorted().joined(separator: ", ") + "]"
    }

    static func values(_ schema: JSONValue) -> (keyword: String, values: [JSONValue])? {
        if let const = schema["const"] { return ("const", [const]) }
        if let values = schema["enum"], values.isArray { return ("enum", Array(values.elements)) }
        return nil
    }

    private mutating func compareEnums(_ site: Site) {
        let (w, r) = (site.writer.schema, site.reader.schema)
        guard let (keyword, readerValues) = Self.values(r) else { return }
        let location = site.path + "/" + keyword
        guard let (_, writerValues) = Self.values(w) else {
            let near = readerValues.flatMap { WitnessSamples.neighbours(of: $0) }
            report(.enumAdded, site, at: location, "\(keyword) added: values accepted before are now rejected",
                   candidates: near + WitnessSamples.pool)
            return
        }
        for value in writerValues where !readerValues.contains(value) {
            report(.enumValueRemoved, site, at: location, "enum value \(value.serialized()) removed", candidates: [.value(value)])
        }
    }

    // MARK: bounds and patterns

    /// The type each bound applies to: a number bound constrains integers too.
    private static let boundTypes = [
        "maxLength": "string", "minLength": "string", "maxItems": "array", "minItems": "array",
        "maxProperties": "object", "minProperties": "object", "maximum": "integer", "minimum": "integer",
        "exclusiveMaximum": "integer", "exclusiveMinimum": "integer", "multipleOf": "integer",
    ]

    private mutating func compareBounds(_ site: Site, writes: (String) -> Bool) {
        let (w, r) = (site.writer.schema, site.reader.schema)
        for keyword in ["maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum"] where writes(Self.boundTypes[keyword]!) {
            guard let readerBound = r[keyword]?.double else { continue }
            let location = site.path + "/" + keyword
            let candidates = WitnessSamples.beyond(keyword, readerBound, writer: site.writer.schema)
            if let writerBound = w[keyword]?.double {
                if readerBound < writerBound {
                    report(CompatibilityRule.bound(keyword, added: false), site, at: location,
                           "\(keyword) decreased from \(Self.number(writerBound)) to \(Self.number(readerBound))", candidates: candidates)
                }
            } else {
                report(CompatibilityRule.bound(keyword, added: true), site, at: location,
                       "\(keyword) \(Self.number(readerBound)) added", candidates: candidates)
            }
        }
        for (keyword, implied) in [("minLength", 0.0), ("minItems", 0), ("minProperties", 0), ("minimum", nil), ("exclusiveMinimum", nil)] as [(String, Double?)]
        where writes(Self.boundTypes[keyword]!) {
            guard let readerBound = r[keyword]?.double else { continue }
            let location = site.path + "/" + keyword
            let candidates = WitnessSamples.beyond(keyword, readerBound, writer: site.writer.schema)
            let added = w[keyword] == nil
            if let writerBound = w[keyword]?.double ?? implied {
                if readerBound > writerBound {
                    report(CompatibilityRule.bound(keyword, added: added), site, at: location,
                           "\(keyword) \(added ? "added" : "increased from \(Self.number(writerBound)) to") \(Self.number(readerBound))",
                           candidates: candidates)
                }
            } else {
                report(CompatibilityRule.bound(keyword, added: true), site, at: location,
                       "\(keyword) \(Self.number(readerBound)) added", candidates: candidates)
            }
        }
        if writes("integer"), let readerStep = r["multipleOf"]?.double {
            let location = site.path + "/multipleOf"
            let candidates = WitnessSamples.notMultiples(of: readerStep, writerStep: w["multipleOf"]?.double)
            if let writerStep = w["multipleOf"]?.double {
                // Exact decimals, as the validator compares: 0.03 is a multiple of 0.01 though 0.03 / 0.01 is not 3 in doubles.
                if !Self.isMultiple(w["multipleOf"], of: r["multipleOf"]) {
                    report(.multipleOfChanged, site, at: location,
                           "multipleOf changed from \(Self.number(writerStep)) to \(Self.number(readerStep))", candidates: candidates)
                }
            } else {
                report(.multipleOfAdded, site, at: location, "multipleOf \(Self.number(readerStep)) added", candidates: candidates)
            }
        }
    }

    /// Whether every multiple of `writer` is a multiple of `reader`, in exact decimals.
    private static func isMultiple(_ writer: JSONValue?, of reader: JSONValue?) -> Bool {
        func decimal(_ value: JSONValue?) -> ExactDecimal? {
            switch value?.number {
            case .integer(let integer): ExactDecimal(integer)
            case .real(let real): ExactDecimal(real)
            case nil: nil
            }
        }
        guard let writerDecimal = decimal(writer), let readerDecimal = decimal(reader), readerDecimal.significand != 0 else { return false }
        return writerDecimal.isMultiple(of: readerDecimal)
    }

    static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    private mutating func comparePattern(_ site: Site) {
        let (w, r) = (site.writer.schema, site.reader.schema)
        guard let readerPattern = r["pattern"]?.string else { return }
        let candidates = WitnessSamples.strings.map(WitnessHint.value)
        switch w["pattern"]?.string {
        case nil:
            report(.patternAdded, site, at: site.path + "/pattern", "pattern \"\(readerPattern)\" added", candidates: candidates)
        case let writerPattern? where writerPattern != readerPattern:
            report(.patternChanged, site, at: site.path + "/pattern",
                   "pattern changed from \"\(writerPattern)\" to \"\(readerPattern)\"", candidates: candidates)
        default:
            break
        }
    }

    // MARK: arrays

    private mutating func compareArrays(_ site: Site) {
        let (writer, reader, path) = (site.writer, site.reader, site.path)
        let writerPrefix = writer.schema["prefixItems"]?.count ?? 0
        let readerPrefix = reader.schema["prefixItems"]?.count ?? 0
        for index in 0..<max(writerPrefix, readerPrefix) {
            let position = String(index)
            let w = index < writerPrefix ? writer.child("prefixItems", position) : itemsSchema(writer)
            let r = index < readerPrefix ? reader.child("prefixItems", position) : itemsSchema(reader)
            let location = index < readerPrefix ? path + "/prefixItems/" + position : path + "/items"
            if let w, let r { compare(writer: w, reader: r, at: location, instance: site.instance + [position]) }
        }
        if let r = reader.child("items"), let w = itemsSchema(writer) {
            compare(writer: w, reader: r, at: path + "/items", instance: site.instance + [String(max(writerPrefix, readerPrefix))])
        }
    }

    /// The schema of the array items after `prefixItems`; absent `items` accepts anything.
    func itemsSchema(_ location: SchemaLocation) -> SchemaLocation? {
        location.child("items") ?? SchemaLocation(schema: .bool(true), document: location.document, pointer: location.pointer + "/items")
    }

    // MARK: objects

    /// What an object's unlisted properties may be: `additionalProperties`, `true` when absent. A
    /// schema that closes its model with `unevaluatedProperties` instead, and has no applicator
    /// that could evaluate more properties, means the same by it.
    func additionalSchema(_ location: SchemaLocation) -> SchemaLocation {
        if let additional = location.child("additionalProperties") { return additional }
        let applicators = ["allOf", "anyOf", "oneOf", "if", "then", "else", "not", "dependentSchemas", "patternProperties", "$ref", "$dynamicRef"]
        if let unevaluated = location.child("unevaluatedProperties"), !applicators.contains(where: { location.schema[$0] != nil }) {
            return unevaluated
        }
        return SchemaLocation(schema: .bool(true), document: location.document, pointer: location.pointer + "/additionalProperties")
    }

    /// A property name neither side lists, for a witness of what unlisted properties may be.
    static func unlistedName(_ site: Site) -> String {
        let listed = Set((site.writer.schema["properties"]?.keys ?? []) + (site.reader.schema["properties"]?.keys ?? []))
        return ["extra", "x-extra", "unlisted"].first { !listed.contains($0) } ?? "extra-" + String(listed.count)
    }

    private mutating func compareObjects(_ site: Site) {
        let (writer, reader, path) = (site.writer, site.reader, site.path)
        let (w, r) = (writer.schema, reader.schema)
        let writerProperties = w["properties"]?.keys ?? []
        let readerProperties = r["properties"]?.keys ?? []
        let writerAdditional = additionalSchema(writer)
        let readerAdditional = additionalSchema(reader)

        for name in readerProperties {
            guard let readerProperty = reader.child("properties", name) else { continue }
            let location = JSONPointer.appending(name, to: path + "/properties")
            if let writerProperty = writer.child("properties", name) {
                compare(writer: writerProperty, reader: readerProperty, at: location, instance: site.instance + [name])
            } else if writerAdditional.schema.bool == true, !Self.acceptsAnything(readerProperty.schema) {
                report(.propertyAddedToOpenContentModel, Site(writer: writerAdditional, reader: readerProperty, path: location, instance: site.instance + [name]),
                       "property \"\(name)\" added to an open content model: old data may carry it with any value",
                       candidates: WitnessSamples.pool)
            } else {
                compare(writer: writerAdditional, reader: readerProperty, at: location, instance: site.instance + [name])
            }
        }
        for name in writerProperties where !readerProperties.contains(name) {
            guard let writerProperty = writer.child("properties", name) else { continue }
            let location = JSONPointer.appending(name, to: path + "/properties")
            if readerAdditional.schema.bool == false {
                report(.propertyRemovedFromClosedContentModel, Site(writer: writerProperty, reader: readerAdditional, path: location, instance: site.instance + [name]),
                       "property \"\(name)\" removed from a closed content model")
            } else {
                compare(writer: writerProperty, reader: readerAdditional, at: path + "/additionalProperties", instance: site.instance + [name])
            }
        }
        if reader.child("additionalProperties") != nil {
            let extra = site.instance + [Self.unlistedName(site)]
            if readerAdditional.schema.bool == false, writerAdditional.schema.bool != false {
                report(.contentModelClosed, Site(writer: writerAdditional, reader: readerAdditional, path: path + "/additionalProperties", instance: extra),
                       "content model closed: properties the old schema left open are now rejected")
            } else {
                compare(writer: writerAdditional, reader: readerAdditional, at: path + "/additionalProperties", instance: extra)
            }
        }

        let writerRequired = Set(w["required"]?.elements.compactMap(\.string) ?? [])
        for name in r["required"]?.elements.compactMap(\.string) ?? [] where !writerRequired.contains(name) {
            if r["properties"]?[name]?["default"] != nil { continue }
            let (rule, reason): (CompatibilityRule, String) = writerProperties.contains(name)
                ? (.propertyMadeRequired, "property \"\(name)\" made required")
                : (.requiredPropertyAdded, "required property \"\(name)\" added without a default")
            report(rule, site, at: path + "/required", reason, candidates: [.objectWithout(name)])
        }
        if let readerDependencies = r["dependentRequired"] {
            for (name, needed) in readerDependencies.members {
                let writerNeeded = Set(w["dependentRequired"]?[name]?.elements.compactMap(\.string) ?? [])
                for property in needed.elements.compactMap(\.string) where !writerNeeded.contains(property) {
                    report(.dependentRequiredAdded, site, at: JSONPointer.appending(name, to: path + "/dependentRequired"),
                           "\"\(property)\" now required with \"\(name)\"",
                           candidates: [.objectWith(name, without: property)])
                }
            }
        }
    }

    static func acceptsAnything(_ schema: JSONValue) -> Bool {
        schema.bool == true || (schema.isObject && isUnconstrained(schema))
    }

    // MARK: compositions

    private mutating func compareCompositions(_ site: Site) {
        let (writer, reader, path) = (site.writer, site.reader, site.path)
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
                    trial.compare(writer: writerBranch, reader: readerBranch, at: path, instance: site.instance)
                    return trial.findings.isEmpty
                }
                if !matched {
                    let what = writer.schema[keyword] == nil ? "the old schema" : "old branch \(index)"
                    report(.compositionBranchUnmatched, Site(writer: writerBranch, reader: reader, path: path, instance: site.instance),
                           at: path + "/" + keyword, "no branch accepts everything \(what) accepts", candidates: WitnessSamples.pool)
                }
            }
        }
        if let readerBranches = reader.schema["allOf"], readerBranches.isArray {
            let writerBranches = writer.schema["allOf"]
            for index in readerBranches.elements.indices {
                guard let readerBranch = reader.child("allOf", String(index)) else { continue }
                let location = path + "/allOf/" + String(index)
                // A constraint the old version had word for word, naming nothing by a local
                // pointer that may have changed, constrains nothing new.
                if let writerBranches, writerBranches.elements.contains(readerBranch.schema), !Self.hasLocalReference(readerBranch.schema) {
                    continue
                }
                if Self.conditionNeverMet(readerBranch.schema, by: writer.schema) { continue }
                if let writerBranches, writerBranches.count == readerBranches.count,
                   let writerBranch = writer.child("allOf", String(index)) {
                    compare(writer: writerBranch, reader: readerBranch, at: location, instance: site.instance)
                } else {
                    compare(writer: writer, reader: readerBranch, at: location, instance: site.instance)
                }
            }
        }
    }
}

extension Comparison {
    /// True when `branch` is `{"if": …, "then": …}` (no `else`) and the writer's data can never
    /// meet the `if`: it requires a property whose values there (an `enum` or `const`) the
    /// writer's schema of that property never allows. How a schema that picks a branch by a
    /// discriminator (the envelope's `dataschema`) gains a branch for a new version.
    static func conditionNeverMet(_ branch: JSONValue, by writer: JSONValue) -> Bool {
        guard let condition = branch["if"], branch["then"] != nil, branch["else"] == nil,
              branch.keys.allSatisfy({ ["if", "then", "$comment", "description", "title"].contains($0) }) else { return false }
        let required = Set(condition["required"]?.elements.compactMap(\.string) ?? [])
        for (name, schema) in (condition["properties"] ?? [:]).members where required.contains(name) {
            guard let (_, wanted) = values(schema), let (_, possible) = writer["properties"]?[name].flatMap(values) else { continue }
            if !possible.contains(where: wanted.contains) { return true }
        }
        return false
    }

    /// True when a `$ref` in `schema` is a pointer into its own document (`#…`).
    static func hasLocalReference(_ schema: JSONValue) -> Bool {
        if schema.isObject {
            return schema.members.contains { key, member in
                (key == "$ref" && member.string?.hasPrefix("#") == true) || hasLocalReference(member)
            }
        }
        return schema.isArray && schema.elements.contains(where: hasLocalReference)
    }
}

extension JSONValue {
    /// This object without the member `key`.
    func removing(_ key: String) -> JSONValue {
        .object(members.filter { $0.key != key }.map { ($0.key, $0.value) })
    }
}
