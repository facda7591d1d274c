/// An error of the contracts layer: what went wrong, what to do about it, and whether trying
/// again can help.
public struct ContractError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The contracts folder is missing or has no envelope schema.
        case folderNotFound = "contracts.folder-not-found"
        /// A schema file is unreadable, not JSON, or has no absolute `$id`.
        case badSchemaFile = "contracts.bad-schema-file"
        /// Two schema files claim the same `$id`.
        case duplicateID = "contracts.duplicate-id"
        /// A `$ref` names a schema or a location that does not exist.
        case unresolvableReference = "contracts.unresolvable-reference"
        /// An event's bytes are not JSON.
        case notJSON = "contracts.not-json"
        /// An event or document violates its contract; `violations` says where.
        case contractViolation = "contracts.violation"
        /// An event names a `dataschema` that no contract defines.
        case unknownDataSchema = "contracts.unknown-dataschema"
    }

    public let code: Code
    public let message: String
    /// The schema violations, for `.contractViolation`.
    public let violations: [ContractViolation]

    package init(code: Code, message: String, violations: [ContractViolation] = []) {
        self.code = code
        self.message = message
        self.violations = violations
    }

    /// Contracts are files read at start and events are data: none of these heal by waiting.
    public var isRetryable: Bool { false }

    public var description: String {
        ([message] + violations.map { "  \($0)" }).joined(separator: "\n")
    }
}

/// One way an instance fails its schema, with JSON pointers into the instance and the schema.
public struct ContractViolation: Sendable, Hashable, CustomStringConvertible {
    /// JSON pointer to the failing value in the instance ("" is the whole instance).
    public let instanceLocation: String
    /// JSON pointer to the failing keyword, along the evaluation path from the schema's root.
    public let keywordLocation: String
    public let message: String

    package init(instanceLocation: String, keywordLocation: String, message: String) {
        self.instanceLocation = instanceLocation
        self.keywordLocation = keywordLocation
        self.message = message
    }

    /// The failing keyword: the last token of `keywordLocation`.
    public var keyword: String {
        keywordLocation.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
    }

    public var description: String {
        "\(instanceLocation.isEmpty ? "(root)" : instanceLocation): \(message) [\(keywordLocation)]"
    }
}
