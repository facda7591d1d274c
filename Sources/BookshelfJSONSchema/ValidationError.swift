import BookshelfJSON

/// One reason an instance is invalid, located in both documents.
public struct ValidationError: Sendable, Hashable, CustomStringConvertible {
    /// JSON pointer to the offending part of the instance ("" is the whole instance).
    public let instanceLocation: String
    /// JSON pointer along the path the evaluation took through the schema, `$ref`s included.
    public let keywordLocation: String
    /// The failing keyword's absolute URI: its schema resource's `$id` and a pointer inside it.
    public let absoluteKeywordLocation: String
    /// What is wrong, for a person.
    public let message: String

    package init(instanceLocation: String, keywordLocation: String, absoluteKeywordLocation: String, message: String) {
        self.instanceLocation = instanceLocation
        self.keywordLocation = keywordLocation
        self.absoluteKeywordLocation = absoluteKeywordLocation
        self.message = message
    }

    public var description: String {
        "at \(instanceLocation.isEmpty ? "(root)" : instanceLocation) (schema \(keywordLocation.isEmpty ? "(root)" : keywordLocation)): \(message)"
    }
}

/// The outcome of validating one instance.
public struct ValidationResult: Sendable {
    public let errors: [ValidationError]

    public var isValid: Bool { errors.isEmpty }

    /// The result in JSON Schema's "basic" output format (2020-12 core, section 12.4.2).
    public var basicOutput: JSONValue {
        if errors.isEmpty { return ["valid": true] }
        return .object([
            ("valid", false),
            ("errors", .array(errors.map { error in
                .object([
                    ("keywordLocation", .string(error.keywordLocation)),
                    ("absoluteKeywordLocation", .string(error.absoluteKeywordLocation)),
                    ("instanceLocation", .string(error.instanceLocation)),
                    ("error", .string(error.message)),
                ])
            })),
        ])
    }
}
