import BookshelfJSON
import CJansson

/// The vocabularies of draft 2020-12 that change validation, as enabled by a dialect's
/// `$vocabulary`.
struct Vocabularies: OptionSet, Sendable {
    let rawValue: UInt8
    static let applicator = Vocabularies(rawValue: 1)
    static let unevaluated = Vocabularies(rawValue: 2)
    static let validation = Vocabularies(rawValue: 4)
    static let formatAssertion = Vocabularies(rawValue: 8)
    static let standard: Vocabularies = [.applicator, .unevaluated, .validation]

    static let byURI: [String: Vocabularies] = [
        "https://json-schema.org/draft/2020-12/vocab/core": [],
        "https://json-schema.org/draft/2020-12/vocab/applicator": .applicator,
        "https://json-schema.org/draft/2020-12/vocab/unevaluated": .unevaluated,
        "https://json-schema.org/draft/2020-12/vocab/validation": .validation,
        "https://json-schema.org/draft/2020-12/vocab/meta-data": [],
        "https://json-schema.org/draft/2020-12/vocab/format-annotation": [],
        "https://json-schema.org/draft/2020-12/vocab/format-assertion": .formatAssertion,
        "https://json-schema.org/draft/2020-12/vocab/content": [],
    ]
}

/// Turns registered schema documents into `SchemaNode` graphs: each subschema compiled once
/// (keyed by its jansson node), references resolved to nodes, patterns compiled.
final class SchemaCompiler {
    let registry: SchemaRegistry
    let options: ValidationOptions
    private(set) var nodes: [SchemaNode] = []
    let arena = Arena()
    private(set) var usesDynamicScope = false
    private var cache: [UInt: SchemaNode] = [:]
    private var resources: [String: SchemaResource] = [:]
    private var vocabularyCache: [String: Vocabularies] = [:]

    init(registry: SchemaRegistry, options: ValidationOptions) {
        self.registry = registry
        self.options = options
    }

    func compile(_ schema: JSONValue, at fallback: SchemaLocation) throws(SchemaError) -> SchemaNode {
        let key = UInt(bitPattern: schema.raw)
        if let compiled = cache[key] { return compiled }
        let location = registry.location(of: schema, fallback: fallback)
        let node = SchemaNode(absoluteLocation: location.resource + "#" + location.pointer,
                              isResourceRoot: location.pointer.isEmpty)
        cache[key] = node
        nodes.append(node)
        node.resource = try resource(location.resource)
        if let boolean = schema.bool {
            node.boolean = boolean
            return node
        }
        guard schema.isObject else {
            throw SchemaError(code: .invalidKeyword, message: "a schema must be an object or a boolean, not \(schema.kind)",
                              location: node.absoluteLocation)
        }
        let vocabularies = try self.vocabularies(for: location.dialect, at: node.absoluteLocation)
        var keywords: [(rank: Int, keyword: Keyword)] = []
        for (name, value) in schema.members {
            let here = SchemaLocation(resource: location.resource, pointer: location.pointer + "/" + JSONPointer.escape(name),
                                      dialect: location.dialect)
            if let keyword = try compileKeyword(name, value, in: schema, at: here, vocabularies: vocabularies) {
                keywords.append((Self.rank(of: keyword), keyword))
            }
        }
        keywords = mergeObjectShape(keywords)
        if options.fusesShapes, let shape = StringShape.of(keywords.map(\.keyword), arena: arena) {
            node.stringShape = arena.buffer([shape]).baseAddress
        }
        if options.fusesShapes, let shape = PropertiesShape.of(keywords.map(\.keyword), arena: arena) {
            node.propertiesShape = arena.buffer([shape]).baseAddress
        }
        // Cheap checks first so invalid instances fail fast; unevaluated* must come last, after
        // every keyword whose annotations they read.
        node.keywords = arena.buffer(keywords.enumerated()
            .sorted { ($0.element.rank, $0.offset) < ($1.element.rank, $1.offset) }
            .map(\.element.keyword))
        return node
    }

    /// Replaces `properties` + `additionalProperties` (+ `required` names that are among the
    /// properties) by one `objectShape` keyword. Without `additionalProperties` the keywords stay
    /// apart: looking up each declared property costs less than walking every member of the instance
    /// (an `if` that tests one property of a ten-member event, say).
    private func mergeObjectShape(_ keywords: [(rank: Int, keyword: Keyword)]) -> [(rank: Int, keyword: Keyword)] {
        var properties: UnsafeBufferPointer<PropertySchema>?
        var additional: Unowned?
        var required: UnsafeBufferPointer<PropertyKey>?
        for (_, keyword) in keywords {
            switch keyword {
            case .properties(let declared): properties = declared
            case .additionalProperties(let schema, _, let patterns) where patterns.isEmpty: additional = schema
            case .required(let keys): required = keys
            case .patternProperties: return keywords
            default: continue
            }
        }
        guard let properties, let additional, properties.count <= 64 else { return keywords }
        var mask: UInt64 = 0
        var leftover: [PropertyKey] = []
        for key in required ?? UnsafeBufferPointer(start: nil, count: 0) {
            if let index = properties.firstIndex(where: { $0.key.equals(key.bytes, length: key.length) }) {
                mask |= 1 << UInt64(index)
            } else {
                leftover.append(key)
            }
        }
        var merged = keywords.filter { entry in
            switch entry.keyword {
            case .properties, .additionalProperties, .required: false
            default: true
            }
        }
        merged.append((1, .objectShape(properties, additional: additional, required: mask)))
        if !leftover.isEmpty { merged.append((1, .required(arena.buffer(leftover)))) }
        return merged
    }

    private static func rank(of keyword: Keyword) -> Int {
        switch keyword {
        case .type, .constant, .enumeration: 0
        case .required, .minLength, .maxLength, .minimum, .maximum, .exclusiveMinimum, .exclusiveMaximum,
             .minItems, .maxItems, .minProperties, .maxProperties, .multipleOf: 1
        case .unevaluatedProperties, .unevaluatedItems: 9
        default: 5
        }
    }

    private func resource(_ uri: String) throws(SchemaError) -> SchemaResource {
        if let existing = resources[uri] { return existing }
        let resource = SchemaResource(uri: uri)
        resources[uri] = resource
        for name in registry.dynamicAnchors[uri] ?? [] {
            guard let anchored = registry.anchors[uri + "#" + name] else { continue }
            let target = try compile(anchored, at: SchemaLocation(resource: uri, pointer: "", dialect: nil))
            resource.dynamicAnchors[name] = Unowned(node: target)
        }
        return resource
    }

    private func vocabularies(for dialect: String?, at location: String) throws(SchemaError) -> Vocabularies {
        let assertFormats: Vocabularies = options.assertFormats ? .formatAssertion : []
        guard let dialect, dialect != SchemaRegistry.draft202012 else { return Vocabularies.standard.union(assertFormats) }
        if let cached = vocabularyCache[dialect] { return cached.union(assertFormats) }
        var enabled = Vocabularies.standard
        if let declared = registry.resources[dialect]?["$vocabulary"], declared.isObject {
            enabled = []
            for (uri, required) in declared.members {
                if let known = Vocabularies.byURI[uri] {
                    enabled.formUnion(known)
                } else if required.bool == true {
                    throw SchemaError(code: .unknownVocabulary,
                                      message: "the metaschema \(dialect) requires the vocabulary \(uri), which this validator does not implement",
                                      location: location)
                }
            }
        }
        vocabularyCache[dialect] = enabled
        return enabled.union(assertFormats)
    }

    // MARK: Keywords

    private func compileKeyword(_ name: String, _ value: JSONValue, in schema: JSONValue, at location: SchemaLocation,
                                vocabularies: Vocabularies) throws(SchemaError) -> Keyword? {
        let here = location.resource + "#" + location.pointer
        let applicator = vocabularies.contains(.applicator)
        let validation = vocabularies.contains(.validation)
        func sub(_ value: JSONValue, _ suffix: String = "") throws(SchemaError) -> Unowned {
            Unowned(node: try compile(value, at: SchemaLocation(resource: location.resource, pointer: location.pointer + suffix,
                                                                dialect: location.dialect)))
        }
        func subschemaList() throws(SchemaError) -> UnsafeBufferPointer<Unowned> {
            guard value.isArray, value.count > 0 else { throw invalid("must be a non-empty array of schemas") }
            var list: [Unowned] = []
            for (index, element) in value.elements.enumerated() { list.append(try sub(element, "/\(index)")) }
            return arena.buffer(list)
        }
        func subschemaMap() throws(SchemaError) -> UnsafeBufferPointer<PropertySchema> {
            guard value.isObject else { throw invalid("must be an object whose values are schemas") }
            var map: [PropertySchema] = []
            for (key, member) in value.members {
                map.append(PropertySchema(key: arena.key(key), schema: try sub(member, "/" + JSONPointer.escape(key))))
            }
            return arena.buffer(map)
        }
        func count() throws(SchemaError) -> Int {
            guard let count = value.int, value.isNumber, count >= 0 else { throw invalid("must be a non-negative integer") }
            return count
        }
        func bound() throws(SchemaError) -> NumberBound {
            switch value.number {
            case .integer(let integer): return .integer(integer)
            case .real(let real): return .real(real)
            case nil: throw invalid("must be a number")
            }
        }
        func strings() throws(SchemaError) -> UnsafeBufferPointer<PropertyKey> {
            guard value.isArray, value.elements.allSatisfy(\.isString) else { throw invalid("must be an array of strings") }
            return arena.buffer(value.elements.map { arena.key($0.string!) })
        }
        func regex(_ source: String, at location: String) throws(SchemaError) -> Unmanaged<ECMARegex> {
            do {
                return arena.keep(try ECMARegex(source))
            } catch {
                throw SchemaError(code: .invalidPattern,
                                  message: "\"\(source)\" is not a valid ECMA-262 regular expression: \(error.reason)",
                                  location: location)
            }
        }
        func invalid(_ problem: String) -> SchemaError {
            SchemaError(code: .invalidKeyword, message: "\"\(name)\" \(problem), not \(value.serialized())", location: here)
        }
        func reference(_ text: String) throws(SchemaError) -> (Unowned, URIReference) {
            let target = URIReference(text).resolved(against: URIReference(location.resource))
            guard let found = registry.lookup(target) else {
                throw SchemaError(code: .unresolvedReference,
                                  message: "\"\(name)\": \"\(text)\" resolves to \(target), which no registered schema defines; "
                                      + "register the schema that has this $id (bookshelf contracts validate --contracts DIR) or fix the reference",
                                  location: here)
            }
            return (Unowned(node: try compile(found.node, at: found.location)), target)
        }

        switch name {
        case "$ref":
            guard let text = value.string else { throw invalid("must be a URI reference string") }
            return .ref(try reference(text).0)
        case "$dynamicRef":
            guard let text = value.string else { throw invalid("must be a URI reference string") }
            let (initial, target) = try reference(text)
            usesDynamicScope = true
            // Dynamic only when the fragment is an anchor name that the initially resolved
            // resource declares as a $dynamicAnchor ("bookending"); otherwise a plain $ref.
            let anchor = target.fragment.flatMap { fragment in
                registry.dynamicAnchors[target.withoutFragment.description]?.contains(fragment) == true
                    ? arena.keep(Name(fragment)) : nil
            }
            return .dynamicRef(initial, anchor: anchor)
        case "$schema", "$id", "$anchor", "$dynamicAnchor", "$vocabulary", "$comment", "$defs", "definitions":
            return nil

        case "type" where validation:
            var types: TypeSet = []
            let names = value.isArray ? Array(value.elements) : [value]
            for element in names {
                guard let typeName = element.string else { throw invalid("must be a type name or an array of type names") }
                guard let type = TypeSet.names.first(where: { $0.0 == typeName })?.1 else {
                    throw SchemaError(code: .unknownType,
                                      message: "\"type\": \"\(typeName)\" is not a JSON Schema type; use one of "
                                          + TypeSet.names.map(\.0).joined(separator: ", "),
                                      location: here)
                }
                types.insert(type)
            }
            return .type(types)
        case "enum" where validation:
            guard value.isArray else { throw invalid("must be an array") }
            return .enumeration(arena.buffer(value.elements.map(\.raw)), source: value.raw)
        case "const" where validation:
            return .constant(value.raw)
        case "multipleOf" where validation:
            let divisor = try bound()
            guard (value.double ?? 0) > 0 else { throw invalid("must be greater than 0") }
            return .multipleOf(divisor)
        case "maximum" where validation: return .maximum(try bound())
        case "exclusiveMaximum" where validation: return .exclusiveMaximum(try bound())
        case "minimum" where validation: return .minimum(try bound())
        case "exclusiveMinimum" where validation: return .exclusiveMinimum(try bound())
        case "maxLength" where validation: return .maxLength(try count())
        case "minLength" where validation: return .minLength(try count())
        case "pattern" where validation:
            guard let source = value.string else { throw invalid("must be a string") }
            return .pattern(try regex(source, at: here))
        case "maxItems" where validation: return .maxItems(try count())
        case "minItems" where validation: return .minItems(try count())
        case "uniqueItems" where validation:
            guard let unique = value.bool else { throw invalid("must be a boolean") }
            return unique ? .uniqueItems : nil
        case "maxProperties" where validation: return .maxProperties(try count())
        case "minProperties" where validation: return .minProperties(try count())
        case "required" where validation:
            let keys = try strings()
            return keys.isEmpty ? nil : .required(keys)
        case "dependentRequired" where validation:
            guard value.isObject else { throw invalid("must be an object of string arrays") }
            var dependencies: [Dependency] = []
            for (key, member) in value.members {
                guard member.isArray, member.elements.allSatisfy(\.isString) else { throw invalid("must be an object of string arrays") }
                dependencies.append(Dependency(trigger: arena.key(key),
                                               required: arena.buffer(member.elements.map { arena.key($0.string!) })))
            }
            return .dependentRequired(arena.buffer(dependencies))
        case "format":
            guard let format = value.string else { throw invalid("must be a string") }
            guard vocabularies.contains(.formatAssertion), let checker = FormatChecker.known[format] else { return nil }
            return .format(arena.keep(Name(format)), Unmanaged.passUnretained(checker))

        case "properties" where applicator: return .properties(try subschemaMap())
        case "patternProperties" where applicator:
            guard value.isObject else { throw invalid("must be an object whose values are schemas") }
            var patterns: [PatternSchema] = []
            for (source, member) in value.members {
                patterns.append(PatternSchema(regex: try regex(source, at: here + "/" + JSONPointer.escape(source)),
                                              schema: try sub(member, "/" + JSONPointer.escape(source))))
            }
            return .patternProperties(arena.buffer(patterns))
        case "additionalProperties" where applicator:
            let properties = (schema["properties"]?.keys ?? []).map { arena.key($0) }
            var patterns: [Unmanaged<ECMARegex>] = []
            for source in schema["patternProperties"]?.keys ?? [] {
                patterns.append(try regex(source, at: here))
            }
            return .additionalProperties(try sub(value), properties: arena.buffer(properties), patterns: arena.buffer(patterns))
        case "propertyNames" where applicator: return .propertyNames(try sub(value))
        case "dependentSchemas" where applicator: return .dependentSchemas(try subschemaMap())
        case "prefixItems" where applicator: return .prefixItems(try subschemaList())
        case "items" where applicator:
            let prefix = schema["prefixItems"]?.count ?? 0
            return .items(try sub(value), after: prefix)
        case "contains" where applicator:
            var minimum = 1
            var maximum = Int.max
            if validation {
                if let declared = schema["minContains"] {
                    guard let count = declared.int, count >= 0 else { throw invalid("minContains must be a non-negative integer") }
                    minimum = count
                }
                if let declared = schema["maxContains"] {
                    guard let count = declared.int, count >= 0 else { throw invalid("maxContains must be a non-negative integer") }
                    maximum = count
                }
            }
            return .contains(try sub(value), min: minimum, max: maximum)
        case "allOf" where applicator: return .allOf(try subschemaList())
        case "anyOf" where applicator: return .anyOf(try subschemaList())
        case "oneOf" where applicator: return .oneOf(try subschemaList())
        case "not" where applicator: return .not(try sub(value))
        case "if" where applicator:
            let base = SchemaLocation(resource: location.resource, pointer: String(location.pointer.dropLast(3)),
                                      dialect: location.dialect)
            func branch(_ keyword: String) throws(SchemaError) -> Unowned? {
                guard let branch = schema[keyword] else { return nil }
                return Unowned(node: try compile(branch, at: SchemaLocation(resource: base.resource,
                                                                           pointer: base.pointer + "/" + keyword,
                                                                           dialect: base.dialect)))
            }
            return .conditional(if: try sub(value), then: try branch("then"), else: try branch("else"))
        case "then", "else":
            // Compiled with their "if"; alone they do nothing, but a "$ref" may still point at them.
            return nil
        case "unevaluatedProperties" where vocabularies.contains(.unevaluated): return .unevaluatedProperties(try sub(value))
        case "unevaluatedItems" where vocabularies.contains(.unevaluated): return .unevaluatedItems(try sub(value))
        default:
            return nil
        }
    }
}
