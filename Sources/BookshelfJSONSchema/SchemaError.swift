/// Why a schema cannot be used: each case names the offending keyword by its location.
public struct SchemaError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// A `$ref` or `$dynamicRef` (or `$schema`) names a URI that no registered schema has.
        case unresolvedReference = "schema.unresolved-ref"
        /// `type` names something other than the seven JSON Schema types.
        case unknownType = "schema.unknown-type"
        /// A `pattern` or `patternProperties` key is not a regular expression.
        case invalidPattern = "schema.invalid-pattern"
        /// A keyword has a value of the wrong shape (for example `"minLength": "3"`).
        case invalidKeyword = "schema.invalid-keyword"
        /// The schema does not validate against its metaschema.
        case invalidSchema = "schema.invalid"
        /// The metaschema requires a vocabulary this validator does not implement.
        case unknownVocabulary = "schema.unknown-vocabulary"
        /// A schema to register has no `$id` and was given no URI.
        case missingIdentifier = "schema.missing-id"
        /// Two documents claim the same `$id`.
        case duplicateIdentifier = "schema.duplicate-id"
        /// A schema file cannot be read or is not JSON.
        case unreadable = "schema.unreadable"
    }

    public let code: Code
    /// What is wrong and, where it helps, what to do about it.
    public let message: String
    /// The absolute location (URI and JSON pointer) of the offending keyword, when there is one.
    public let location: String?
    /// For `.invalidSchema`: the metaschema's complaints.
    public let violations: [ValidationError]

    /// A schema does not repair itself: retrying the same compilation cannot help.
    public var isRetryable: Bool { false }

    package init(code: Code, message: String, location: String? = nil, violations: [ValidationError] = []) {
        self.code = code
        self.message = message
        self.location = location
        self.violations = violations
    }

    public var description: String {
        var text = location.map { "\($0): \(message)" } ?? message
        for violation in violations {
            text += "\n  \(violation)"
        }
        return text
    }
}
