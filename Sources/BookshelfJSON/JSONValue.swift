import CJansson

/// An immutable JSON document or a part of one, backed by a jansson `json_t`.
///
/// Ownership: every value holds a strong reference to a `JSONStorage`, which owns exactly one
/// jansson reference (to the root it was created from) and releases it once, in `deinit`. A value
/// taken from inside a document (an object member, an array element) borrows its node and keeps
/// the document's storage alive, so walking a document costs no jansson reference counting.
///
/// Sendable: nothing in this module mutates a jansson node after the value that owns it has been
/// built, jansson's reference counts are atomic (`JSON_HAVE_ATOMIC_BUILTINS`), and its lookups
/// and iteration only read. So a value may be shared between tasks and threads freely.
///
/// Semantics are JSON's, not Swift's: `1` and `1.0` are the same number (for `==`, hashing and
/// `isInteger`), object member order is kept for iteration and serialization but ignored by `==`.
public struct JSONValue: @unchecked Sendable {
    @usableFromInline let storage: JSONStorage
    /// The jansson node. Visible to this package's JSON Schema validator, which walks documents
    /// without creating a value per node; valid only while this value is alive.
    package let raw: UnsafeMutablePointer<json_t>

    /// Adopts a new jansson reference (the caller gives up its reference).
    init(adopting raw: UnsafeMutablePointer<json_t>) {
        self.storage = JSONStorage(adopting: raw)
        self.raw = raw
    }

    /// A value of its own for a node the caller only borrows (takes a new jansson reference).
    package init(retaining raw: UnsafeMutablePointer<json_t>) {
        self.init(adopting: json_incref(raw)!)
    }

    /// A node inside `parent`'s document; borrowed, kept alive by the shared storage.
    package init(borrowing raw: UnsafeMutablePointer<json_t>, from parent: JSONValue) {
        self.storage = parent.storage
        self.raw = raw
    }

    /// This value with a jansson reference of its own, so that it no longer keeps the rest of its
    /// document alive: the document is freed when its last other value goes, by the thread that drops it.
    public var detached: JSONValue {
        raw == storage.root ? self : JSONValue(retaining: raw)
    }

    /// The JSON types of RFC 8259. Integers and reals are both `.number`: see `isInteger`.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case object, array, string, number, bool, null
    }

    public var kind: Kind {
        switch raw.pointee.type {
        case JSON_OBJECT: .object
        case JSON_ARRAY: .array
        case JSON_STRING: .string
        case JSON_INTEGER, JSON_REAL: .number
        case JSON_TRUE, JSON_FALSE: .bool
        default: .null
        }
    }

    public var isObject: Bool { raw.pointee.type == JSON_OBJECT }
    public var isArray: Bool { raw.pointee.type == JSON_ARRAY }
    public var isString: Bool { raw.pointee.type == JSON_STRING }
    public var isNumber: Bool { raw.pointee.type == JSON_INTEGER || raw.pointee.type == JSON_REAL }
    public var isBool: Bool { raw.pointee.type == JSON_TRUE || raw.pointee.type == JSON_FALSE }
    public var isNull: Bool { raw.pointee.type == JSON_NULL }

    /// True for a number with no fractional part, whether written `1` or `1.0` (JSON Schema's
    /// "integer").
    public var isInteger: Bool {
        switch raw.pointee.type {
        case JSON_INTEGER:
            return true
        case JSON_REAL:
            let value = json_real_value(raw)
            return value.isFinite && value.rounded(.towardZero) == value
        default:
            return false
        }
    }
}

/// The single owner of one jansson reference; releases it exactly once.
@usableFromInline
final class JSONStorage: @unchecked Sendable {
    let root: UnsafeMutablePointer<json_t>

    init(adopting root: UnsafeMutablePointer<json_t>) {
        self.root = root
    }

    deinit {
        json_decref(root)
    }
}
