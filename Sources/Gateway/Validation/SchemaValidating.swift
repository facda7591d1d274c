import BookshelfJSON

/// One way an instance fails its schema, with the JSON pointers RFC 9457 `errors` members carry.
public struct Violation: Sendable, Equatable {
    public var instanceLocation: String
    public var keywordLocation: String
    public var message: String

    public init(instanceLocation: String, keywordLocation: String, message: String) {
        self.instanceLocation = instanceLocation
        self.keywordLocation = keywordLocation
        self.message = message
    }
}

/// Checks a JSON value against a contract schema named by its absolute `$id` (with an optional fragment).
public protocol SchemaValidating: Sendable {
    func violations(of instance: JSONValue, against schemaID: String) -> [Violation]
}
