import CJansson
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

typealias JSONNode = UnsafeMutablePointer<json_t>

/// One compiled (sub)schema: its keywords in evaluation order, references already resolved.
/// Immutable once the compiler has finished; owned by the `JSONSchema` that compiled it.
final class SchemaNode: @unchecked Sendable {
    /// What the compiler fills in after creating the node (references may point at a node
    /// before its keywords exist). Behind a pointer so that reading it on the hot path needs no
    /// exclusivity check.
    private let state: UnsafeMutablePointer<(boolean: Bool?, keywords: UnsafeBufferPointer<Keyword>,
                                             stringShape: UnsafePointer<StringShape>?,
                                             propertiesShape: UnsafePointer<PropertiesShape>?)>

    /// `true` and `false` schemas; nil for object schemas.
    var boolean: Bool? {
        get { state.pointee.boolean }
        set { state.pointee.boolean = newValue }
    }

    /// In the compiled schema's arena: walking them costs no reference counting.
    var keywords: UnsafeBufferPointer<Keyword> {
        get { state.pointee.keywords }
        set { state.pointee.keywords = newValue }
    }
    /// Set when every keyword only constrains strings (see `StringShape`), in the compiled schema's arena.
    var stringShape: UnsafePointer<StringShape>? {
        get { state.pointee.stringShape }
        set { state.pointee.stringShape = newValue }
    }

    /// Set when the keywords are `properties` with at most `type` and `required` (see `PropertiesShape`).
    var propertiesShape: UnsafePointer<PropertiesShape>? {
        get { state.pointee.propertiesShape }
        set { state.pointee.propertiesShape = newValue }
    }

    /// Absolute URI of this schema ("resource#pointer"), the prefix of its keywords' absolute
    /// keyword locations.
    let absoluteLocation: String
    /// The schema resource this node belongs to, for `$dynamicRef`'s dynamic scope.
    var resource: SchemaResource!
    /// True when this node is the root of its resource (entering it enters the resource).
    let isResourceRoot: Bool

    init(absoluteLocation: String, isResourceRoot: Bool) {
        self.absoluteLocation = absoluteLocation
        self.isResourceRoot = isResourceRoot
        state = .allocate(capacity: 1)
        state.initialize(to: (nil, UnsafeBufferPointer(start: nil, count: 0), nil, nil))
    }

    deinit {
        state.deallocate()
    }
}

/// A schema resource (a document or an embedded `$id`) and its `$dynamicAnchor`s.
final class SchemaResource: @unchecked Sendable {
    let uri: String
    var dynamicAnchors: [String: Unowned] = [:]

    init(uri: String) {
        self.uri = uri
    }
}

/// A reference to a node kept alive by the compiled schema's node list; refs form cycles, and
/// following one must cost no reference counting.
struct Unowned: @unchecked Sendable {
    private let reference: Unmanaged<SchemaNode>

    init(node: SchemaNode) {
        reference = .passUnretained(node)
    }

    var node: SchemaNode { reference.takeUnretainedValue() }

    // Calls through a guaranteed reference: no retain/release around each subschema visit.
    @inline(__always)
    func validate(_ instance: JSONNode, _ ev: inout Evaluation) -> Bool {
        reference._withUnsafeGuaranteedRef { $0.validate(instance, &ev) }
    }

    @inline(__always)
    func descend(_ instance: JSONNode, _ ev: inout Evaluation, keyword: StaticString,
                 token: @autoclosure () -> String? = nil, instanceToken: @autoclosure () -> String? = nil) -> Bool {
        reference._withUnsafeGuaranteedRef {
            $0.descend(instance, &ev, keyword: keyword, token: token(), instanceToken: instanceToken())
        }
    }

    @inline(__always)
    func follow(_ instance: JSONNode, _ ev: inout Evaluation, keyword: StaticString) -> Bool {
        reference._withUnsafeGuaranteedRef { $0.follow(instance, &ev, keyword: keyword) }
    }
}

/// Memory that compiled keywords point into, freed with the compiled schema. Keyword payloads
/// are plain pointers into it, so evaluating a keyword copies no reference-counted value.
final class Arena: @unchecked Sendable {
    private var allocations: [UnsafeMutableRawPointer] = []
    private var objects: [AnyObject] = []

    func buffer<Element>(_ elements: [Element]) -> UnsafeBufferPointer<Element> {
        guard !elements.isEmpty else { return UnsafeBufferPointer(start: nil, count: 0) }
        let memory = UnsafeMutableBufferPointer<Element>.allocate(capacity: elements.count)
        _ = memory.initialize(from: elements)
        allocations.append(UnsafeMutableRawPointer(memory.baseAddress!))
        return UnsafeBufferPointer(memory)
    }

    func key(_ name: String) -> PropertyKey {
        let bytes = buffer(Array(name.utf8CString))
        return PropertyKey(bytes: bytes.baseAddress!, length: bytes.count - 1)
    }

    func keep<Object: AnyObject>(_ object: Object) -> Unmanaged<Object> {
        objects.append(object)
        return Unmanaged.passUnretained(object)
    }

    deinit {
        // Every element type stored here is trivial (pointers, integers, POD structs).
        for allocation in allocations { allocation.deallocate() }
    }
}

/// A property name as jansson wants it: NUL-terminated UTF-8 bytes and their length.
struct PropertyKey {
    let bytes: UnsafePointer<CChar>
    let length: Int

    var name: String { Keyword.string(bytes, length) }

    @inline(__always)
    func lookup(in object: JSONNode) -> JSONNode? {
        json_object_getn(object, bytes, length)
    }

    @inline(__always)
    func equals(_ key: UnsafePointer<CChar>, length: Int) -> Bool {
        length == self.length && (length == 0 || (key[0] == bytes[0] && memcmp(bytes, key, length) == 0))
    }
}

struct PropertySchema {
    let key: PropertyKey
    let schema: Unowned
}

struct PatternSchema {
    let regex: Unmanaged<ECMARegex>
    let schema: Unowned
}

struct Dependency {
    let trigger: PropertyKey
    let required: UnsafeBufferPointer<PropertyKey>
}

/// A name kept as an object so a keyword can point at it without reference counting.
final class Name: Sendable {
    let text: String
    init(_ text: String) { self.text = text }
}

/// The keywords of a node whose keywords are all among `type` (allowing strings), `minLength`, `maxLength`,
/// `pattern`, `format`, and one `const` or `enum`, checked together on a string: one read of the
/// instance's type, its code points counted at most once, no dispatch per keyword. It only ever
/// accepts: a string it does not accept, or any other value, goes through the keywords one by one,
/// which give the verdict and every error exactly as without it.
struct StringShape {
    var minLength = 0
    var maxLength = Int.max
    /// The string members of `const` or `enum` (only a string can equal one when the instance is a string).
    var values: UnsafeBufferPointer<JSONNode>?
    var pattern: Unmanaged<ECMARegex>?
    var format: Unmanaged<FormatChecker>?

    /// From a node's compiled keywords; nil when one of them is not a string check, or there are none.
    static func of(_ keywords: [Keyword], arena: Arena) -> StringShape? {
        guard !keywords.isEmpty else { return nil }
        var shape = StringShape()
        var hasValues = false
        for keyword in keywords {
            switch keyword {
            case .type(let allowed) where allowed.contains(.string): continue
            case .minLength(let limit): shape.minLength = Swift.max(shape.minLength, limit)
            case .maxLength(let limit): shape.maxLength = Swift.min(shape.maxLength, limit)
            case .pattern(let regex) where shape.pattern == nil: shape.pattern = regex
            case .format(_, let checker) where shape.format == nil: shape.format = checker
            case .constant(let value) where !hasValues:
                hasValues = true
                shape.values = arena.buffer(value.pointee.type == JSON_STRING ? [value] : [])
            case .enumeration(let values, _) where !hasValues:
                hasValues = true
                shape.values = arena.buffer(values.filter { $0.pointee.type == JSON_STRING })
            default: return nil
            }
        }
        return shape
    }

    @inline(__always)
    func accepts(_ instance: JSONNode) -> Bool {
        guard instance.pointee.type == JSON_STRING else { return false }
        let length = json_string_length(instance)
        // A string has between a quarter of its UTF-8 length and its length in code points: count them only
        // when those bounds leave the verdict open.
        if length < minLength { return false }
        if length > maxLength || (length + 3) / 4 < minLength {
            let codePoints = Keyword.codePoints(instance)
            if codePoints < minLength || codePoints > maxLength { return false }
        }
        if let values {
            let bytes = json_string_value(instance)!
            var found = false
            for value in values where json_string_length(value) == length
                && (length == 0 || memcmp(json_string_value(value), bytes, length) == 0) {
                found = true
                break
            }
            if !found { return false }
        }
        // Through guaranteed references: the compiled schema keeps both alive, so no retain and release per call.
        if let pattern, pattern._withUnsafeGuaranteedRef({ $0.search(instance) }) != .match { return false }
        if let format, !format._withUnsafeGuaranteedRef({ $0.check(String(cString: json_string_value(instance))) }) {
            return false
        }
        return true
    }
}

/// A node with `properties` and at most `type` and `required` (an `if` that tests one property, say), for
/// the yes/no path: each declared property is looked up once, where the keywords one by one look up a
/// required one twice. Its verdict is the keywords' verdict; errors are always reported by the keywords.
struct PropertiesShape {
    let types: TypeSet?
    let properties: UnsafeBufferPointer<PropertySchema>
    /// Bit i: properties[i] is required.
    let required: UInt64
    /// Required names that are not among the properties.
    let otherRequired: UnsafeBufferPointer<PropertyKey>

    /// From a node's compiled keywords; nil unless they are `properties` (at most 64) and at most `type` and `required`.
    static func of(_ keywords: [Keyword], arena: Arena) -> PropertiesShape? {
        var types: TypeSet?
        var properties: UnsafeBufferPointer<PropertySchema>?
        var required = UnsafeBufferPointer<PropertyKey>(start: nil, count: 0)
        for keyword in keywords {
            switch keyword {
            case .type(let allowed) where types == nil: types = allowed
            case .properties(let declared) where properties == nil: properties = declared
            case .required(let keys) where required.isEmpty: required = keys
            default: return nil
            }
        }
        guard let properties, properties.count <= 64 else { return nil }
        var mask: UInt64 = 0
        var other: [PropertyKey] = []
        for key in required {
            if let index = properties.firstIndex(where: { $0.key.equals(key.bytes, length: key.length) }) {
                mask |= 1 << UInt64(index)
            } else {
                other.append(key)
            }
        }
        return PropertiesShape(types: types, properties: properties, required: mask, otherRequired: arena.buffer(other))
    }

    /// The verdict of the keywords, with `ev` not collecting errors.
    @inline(__always)
    func verdict(_ instance: JSONNode, _ ev: inout Evaluation) -> Bool {
        if let types, types.isDisjoint(with: TypeSet.of(instance)) { return false }
        guard instance.pointee.type == JSON_OBJECT else { return true }
        for key in otherRequired where key.lookup(in: instance) == nil { return false }
        for (index, property) in properties.enumerated() {
            guard let value = property.key.lookup(in: instance) else {
                if required & (1 << UInt64(index)) != 0 { return false }
                continue
            }
            if !property.schema.validate(value, &ev) { return false }
        }
        return true
    }
}

/// JSON Schema types as bits, so `type` is one AND.
struct TypeSet: OptionSet, Sendable {
    let rawValue: UInt8
    static let null = TypeSet(rawValue: 1)
    static let boolean = TypeSet(rawValue: 2)
    static let object = TypeSet(rawValue: 4)
    static let array = TypeSet(rawValue: 8)
    static let number = TypeSet(rawValue: 16)
    static let string = TypeSet(rawValue: 32)
    static let integer = TypeSet(rawValue: 64)

    static let names: [(String, TypeSet)] = [
        ("null", .null), ("boolean", .boolean), ("object", .object), ("array", .array),
        ("number", .number), ("string", .string), ("integer", .integer),
    ]

    /// The types `instance` belongs to: an integral number is both "number" and "integer".
    @inline(__always)
    static func of(_ instance: JSONNode) -> TypeSet {
        switch instance.pointee.type {
        case JSON_OBJECT: return .object
        case JSON_ARRAY: return .array
        case JSON_STRING: return .string
        case JSON_INTEGER: return [.number, .integer]
        case JSON_REAL:
            let value = json_real_value(instance)
            return value.rounded(.towardZero) == value ? [.number, .integer] : .number
        case JSON_TRUE, JSON_FALSE: return .boolean
        default: return .null
        }
    }

    var description: String {
        let listed = Self.names.filter { contains($0.1) }.map(\.0)
        return listed.count == 1 ? listed[0] : listed.joined(separator: " or ")
    }
}

enum NumberBound: Sendable {
    case integer(Int)
    case real(Double)
}

/// A compiled keyword. Every payload is a plain value (numbers, pointers into the compiled
/// schema's arena, unmanaged references it keeps alive), so keywords copy without ARC.
enum Keyword: @unchecked Sendable {
    case type(TypeSet)
    case enumeration(UnsafeBufferPointer<JSONNode>, source: JSONNode)
    case constant(JSONNode)
    case multipleOf(NumberBound)
    case maximum(NumberBound), exclusiveMaximum(NumberBound), minimum(NumberBound), exclusiveMinimum(NumberBound)
    case maxLength(Int), minLength(Int)
    case pattern(Unmanaged<ECMARegex>)
    case format(Unmanaged<Name>, Unmanaged<FormatChecker>)
    case maxItems(Int), minItems(Int), uniqueItems
    case maxProperties(Int), minProperties(Int)
    case required(UnsafeBufferPointer<PropertyKey>)
    case dependentRequired(UnsafeBufferPointer<Dependency>)
    case properties(UnsafeBufferPointer<PropertySchema>)
    /// `properties`, `additionalProperties` and the `required` names among the properties, in
    /// one pass over the instance's members (no hash lookups): bit i of `required` is
    /// properties[i]. Compiled from the three keywords when there are at most 64 properties, an
    /// `additionalProperties` and no `patternProperties`.
    case objectShape(UnsafeBufferPointer<PropertySchema>, additional: Unowned, required: UInt64)
    case patternProperties(UnsafeBufferPointer<PatternSchema>)
    case additionalProperties(Unowned, properties: UnsafeBufferPointer<PropertyKey>,
                              patterns: UnsafeBufferPointer<Unmanaged<ECMARegex>>)
    case propertyNames(Unowned)
    case dependentSchemas(UnsafeBufferPointer<PropertySchema>)
    case prefixItems(UnsafeBufferPointer<Unowned>)
    case items(Unowned, after: Int)
    case contains(Unowned, min: Int, max: Int)
    case allOf(UnsafeBufferPointer<Unowned>), anyOf(UnsafeBufferPointer<Unowned>), oneOf(UnsafeBufferPointer<Unowned>)
    case not(Unowned)
    case conditional(if: Unowned, then: Unowned?, else: Unowned?)
    case ref(Unowned)
    case dynamicRef(Unowned, anchor: Unmanaged<Name>?)
    case unevaluatedProperties(Unowned)
    case unevaluatedItems(Unowned)
}
