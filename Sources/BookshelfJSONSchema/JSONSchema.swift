import BookshelfJSON

/// How a schema is compiled.
public struct ValidationOptions: Sendable, Hashable {
    /// Make `format` assert (date-time, date, time, duration, email, hostname, ipv4, ipv6, uuid,
    /// uri, uri-reference, json-pointer, regex). Off by default: in draft 2020-12 `format` is an
    /// annotation unless asked for, and other teams' validators treat it so.
    public var assertFormats: Bool
    /// Check the schema against its metaschema (when the registry has the metaschemas).
    public var checkSchema: Bool
    /// Check nodes through `StringShape` and `PropertiesShape` where they allow it. Off only in the tests that
    /// compare those with the keywords one by one.
    var fusesShapes = true

    public init(assertFormats: Bool = false, checkSchema: Bool = true) {
        self.assertFormats = assertFormats
        self.checkSchema = checkSchema
    }
}

/// A compiled draft 2020-12 JSON Schema: compile once, validate many instances, from any thread.
///
/// `isValid` is the fast path (no allocation, stops at the first failure); `validate` collects
/// every error with its locations.
public final class JSONSchema: Sendable {
    /// The schema's URI (its `$id`, or the URI it was compiled under).
    public let id: String
    private let root: Unowned
    private let usesDynamicScope: Bool
    /// Keeps every compiled node alive (references between nodes are unowned).
    private let nodes: [SchemaNode]
    /// Keeps the documents alive whose jansson nodes `const` and `enum` point into.
    private let registry: SchemaRegistry
    /// Owns the keywords' payloads.
    private let arena: Arena

    init(id: String, root: SchemaNode, compiler: SchemaCompiler) {
        self.id = id
        self.root = Unowned(node: root)
        self.usesDynamicScope = compiler.usesDynamicScope
        self.nodes = compiler.nodes
        self.registry = compiler.registry
        self.arena = compiler.arena
    }

    public func isValid(_ instance: JSONValue) -> Bool {
        var evaluation = Evaluation(collecting: false, tracksScope: usesDynamicScope)
        return withExtendedLifetime(instance) { root.node.validate(instance.raw, &evaluation) }
    }

    public func validate(_ instance: JSONValue) -> ValidationResult {
        if isValid(instance) { return ValidationResult(errors: []) }
        var evaluation = Evaluation(collecting: true, tracksScope: usesDynamicScope)
        withExtendedLifetime(instance) { _ = root.node.validate(instance.raw, &evaluation) }
        return ValidationResult(errors: evaluation.errors)
    }
}

extension SchemaRegistry {
    /// Compiles the registered schema with URI `id` (a document's `$id`, or any URI reference
    /// into one, such as "https://example.com/book.json#/$defs/author").
    public func schema(id: String, options: ValidationOptions = ValidationOptions()) throws(SchemaError) -> JSONSchema {
        guard let found = lookup(URIReference(id)) else {
            throw SchemaError(code: .unresolvedReference, message: "no registered schema has the URI \(id)")
        }
        return try compile(found.node, location: found.location, id: id, options: options)
    }

    /// Registers `document` (under `uri`, else its `$id`, else a URI made up for it) and
    /// compiles it.
    public func compile(_ document: JSONValue, uri: String? = nil,
                        options: ValidationOptions = ValidationOptions()) throws(SchemaError) -> JSONSchema {
        var registry = self
        let id: String
        if uri == nil, document["$id"]?.string == nil {
            id = try registry.register(document, uri: "urn:bookshelf:schema:anonymous")
        } else {
            id = try registry.register(document, uri: uri)
        }
        guard let found = registry.lookup(URIReference(id)) else {
            throw SchemaError(code: .unresolvedReference, message: "no registered schema has the URI \(id)")
        }
        return try registry.compile(found.node, location: found.location, id: id, options: options)
    }

    private func compile(_ node: JSONValue, location: SchemaLocation, id: String,
                         options: ValidationOptions) throws(SchemaError) -> JSONSchema {
        // The compiler names the mistakes the metaschema cannot see or would only describe
        // vaguely (unknown type name, bad pattern, unresolved ref, unknown vocabulary); for a
        // keyword of the wrong shape the metaschema's verdict is the authoritative one.
        let compiler = SchemaCompiler(registry: self, options: options)
        let compiled: Result<SchemaNode, SchemaError> = Result { () throws(SchemaError) in
            try compiler.compile(node, at: location)
        }
        if case .failure(let error) = compiled, error.code != .invalidKeyword {
            throw error
        }
        if options.checkSchema && hasMetaschemas {
            try checkAgainstMetaschema(node, dialect: location.dialect)
        }
        return JSONSchema(id: id, root: try compiled.get(), compiler: compiler)
    }

    /// A schema that is itself invalid (by the metaschema its `$schema` names) is an error.
    private func checkAgainstMetaschema(_ node: JSONValue, dialect: String?) throws(SchemaError) {
        let metaschemaID = dialect ?? Self.draft202012
        guard let metaschema = lookup(URIReference(metaschemaID)) else {
            throw SchemaError(code: .unresolvedReference,
                              message: "the metaschema \(metaschemaID) named by \"$schema\" is not registered")
        }
        let compiler = SchemaCompiler(registry: self, options: ValidationOptions(checkSchema: false))
        let root = try compiler.compile(metaschema.node, at: metaschema.location)
        let result = JSONSchema(id: metaschemaID, root: root, compiler: compiler).validate(node)
        guard result.isValid else {
            throw SchemaError(code: .invalidSchema,
                              message: "the schema is not valid against its metaschema \(metaschemaID)",
                              violations: result.errors)
        }
    }
}
