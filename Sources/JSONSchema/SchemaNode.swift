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
    /// `true` and `false` schemas; nil for object schemas.
    var boolean: Bool?
    var keywords: [Keyword] = []
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
    unowned(unsafe) let node: SchemaNode
}

/// A property name as jansson wants it (bytes and length) and as people read it.
struct PropertyKey: @unchecked Sendable {
    let name: String
    /// UTF-8 with a terminating NUL, so the buffer is never empty (jansson wants a pointer).
    let bytes: ContiguousArray<CChar>
    let length: Int

    init(_ name: String) {
        self.name = name
        self.bytes = name.utf8CString
        self.length = bytes.count - 1
    }

    @inline(__always)
    func lookup(in object: JSONNode) -> JSONNode? {
        bytes.withUnsafeBufferPointer { json_object_getn(object, $0.baseAddress, length) }
    }

    @inline(__always)
    func equals(_ key: UnsafePointer<CChar>, length: Int) -> Bool {
        length == self.length && bytes.withUnsafeBufferPointer { memcmp($0.baseAddress!, key, length) == 0 }
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

/// A compiled keyword. The payloads hold exactly what evaluation needs.
enum Keyword: @unchecked Sendable {
    case type(TypeSet)
    case enumeration([JSONNode], source: String)
    case constant(JSONNode, source: String)
    case multipleOf(NumberBound)
    case maximum(NumberBound), exclusiveMaximum(NumberBound), minimum(NumberBound), exclusiveMinimum(NumberBound)
    case maxLength(Int), minLength(Int)
    case pattern(ECMARegex)
    case format(String, FormatChecker)
    case maxItems(Int), minItems(Int), uniqueItems
    case maxProperties(Int), minProperties(Int)
    case required([PropertyKey])
    case dependentRequired([(PropertyKey, [PropertyKey])])
    case properties([(PropertyKey, Unowned)])
    case patternProperties([(ECMARegex, Unowned)])
    case additionalProperties(Unowned, properties: [PropertyKey], patterns: [ECMARegex])
    case propertyNames(Unowned)
    case dependentSchemas([(PropertyKey, Unowned)])
    case prefixItems([Unowned])
    case items(Unowned, after: Int)
    case contains(Unowned, min: Int, max: Int?)
    case allOf([Unowned]), anyOf([Unowned]), oneOf([Unowned])
    case not(Unowned)
    case conditional(if: Unowned, then: Unowned?, else: Unowned?)
    case ref(Unowned)
    case dynamicRef(Unowned, anchor: String?)
    case unevaluatedProperties(Unowned)
    case unevaluatedItems(Unowned)

    var name: String {
        switch self {
        case .type: "type"
        case .enumeration: "enum"
        case .constant: "const"
        case .multipleOf: "multipleOf"
        case .maximum: "maximum"
        case .exclusiveMaximum: "exclusiveMaximum"
        case .minimum: "minimum"
        case .exclusiveMinimum: "exclusiveMinimum"
        case .maxLength: "maxLength"
        case .minLength: "minLength"
        case .pattern: "pattern"
        case .format: "format"
        case .maxItems: "maxItems"
        case .minItems: "minItems"
        case .uniqueItems: "uniqueItems"
        case .maxProperties: "maxProperties"
        case .minProperties: "minProperties"
        case .required: "required"
        case .dependentRequired: "dependentRequired"
        case .properties: "properties"
        case .patternProperties: "patternProperties"
        case .additionalProperties: "additionalProperties"
        case .propertyNames: "propertyNames"
        case .dependentSchemas: "dependentSchemas"
        case .prefixItems: "prefixItems"
        case .items: "items"
        case .contains: "contains"
        case .allOf: "allOf"
        case .anyOf: "anyOf"
        case .oneOf: "oneOf"
        case .not: "not"
        case .conditional: "if"
        case .ref: "$ref"
        case .dynamicRef: "$dynamicRef"
        case .unevaluatedProperties: "unevaluatedProperties"
        case .unevaluatedItems: "unevaluatedItems"
        }
    }
}
