import BookshelfJSON
import FoundationEssentials
import BookshelfJSONSchema

/// The contracts folder, loaded: every `*.schema.json` by its `$id`, and the event types with
/// their versions. Loaded once at start; immutable and shareable afterwards.
///
/// Event data schemas live at `events/<type>/v<N>.schema.json`; an event's `dataschema` is the
/// `$id` of one of them, and producers use the newest version of their type.
public struct ContractRegistry: Sendable {
    /// Where a contracts folder keeps its CloudEvents envelope, the schema of every record on the app's
    /// events topic. The envelope's `$id` is the app's own (`envelopeID`): Bookshelf's is
    /// `https://bookshelf.example/contracts/cloudevents/envelope.schema.json`, another app's is in its namespace.
    package static let envelopePath = "cloudevents/envelope.schema.json"

    /// One version of an event type's data schema.
    public struct EventSchema: Sendable, Hashable {
        /// The CloudEvents `type`, e.g. `bookshelf.book.added`.
        public let type: String
        public let version: Int
        /// The schema's `$id`: what an event carries as `dataschema`.
        public let id: String
        /// The file, relative to the contracts folder.
        public let path: String
    }

    /// The folder the contracts were loaded from.
    public let folder: String
    /// The `$id` of this folder's envelope (the schema at `envelopePath`).
    public let envelopeID: String
    private let schemasByID: [String: JSONValue]
    private let pathsByID: [String: String]
    private let eventSchemasByType: [String: [EventSchema]]
    /// Every event type with a data schema, sorted.
    private let sortedEventTypes: [String]
    /// Every event data schema's `$id`: what `decodeEvent` takes an event's `dataschema` as.
    private let eventSchemaIDs: [String]
    /// Every schema compiled once at load, `$ref`s resolved among the folder's schemas.
    private let validators: [String: JSONSchema]
    /// The envelope's, which every event goes through: kept apart so that the hot path needs no lookup.
    private let envelopeValidator: JSONSchema?

    /// Loads every `*.schema.json` under `folder` (examples excepted), registering each by `$id`.
    public init(folder: String) throws(ContractError) {
        try self.init(folder: folder, compiling: true)
    }

    /// `compiling: false` skips compiling the schemas (`contracts check` compiles them itself, to
    /// report every bad schema by file); validation then finds no schema.
    init(folder: String, compiling: Bool) throws(ContractError) {
        let root = URL(fileURLWithPath: folder).standardizedFileURL.path
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory else {
            throw ContractError(code: .folderNotFound, message: "no contracts folder at \(root)")
        }
        var schemas: [String: JSONValue] = [:]
        var paths: [String: String] = [:]
        var events: [String: [EventSchema]] = [:]
        for path in Self.schemaFiles(in: root) {
            let schema: JSONValue
            do {
                schema = try JSONValue(contentsOfFile: root + "/" + path)
            } catch {
                throw ContractError(code: .badSchemaFile, message: "\(path): not JSON: \(error)")
            }
            guard let id = schema["$id"]?.string, SchemaReference.hasScheme(id), !id.contains("#") else {
                throw ContractError(code: .badSchemaFile, message: "\(path): every schema needs an absolute \"$id\" without a fragment")
            }
            if let other = paths[id] {
                throw ContractError(code: .duplicateID, message: "\(path) and \(other) both have the $id \(id): give each file its own")
            }
            schemas[id] = schema
            paths[id] = path
            if let event = Self.eventSchema(path: path, id: id) {
                events[event.type, default: []].append(event)
            }
        }
        guard let envelopeID = paths.first(where: { $0.value == Self.envelopePath })?.key else {
            throw ContractError(code: .folderNotFound, message: "\(root) has no envelope schema (\(Self.envelopePath)): is it the contracts folder?")
        }
        var schemaRegistry = SchemaRegistry()
        var validators: [String: JSONSchema] = [:]
        do {
            for schema in schemas.values where compiling { try schemaRegistry.register(schema) }
            for id in schemas.keys where compiling { validators[id] = try schemaRegistry.schema(id: id) }
        } catch {
            throw ContractError(code: .badSchemaFile, message: "the contracts in \(root) do not compile: \(error)")
        }
        self.validators = validators
        self.envelopeID = envelopeID
        self.envelopeValidator = validators[envelopeID]
        self.folder = root
        self.schemasByID = schemas
        self.pathsByID = paths
        self.eventSchemasByType = events.mapValues { $0.sorted { $0.version < $1.version } }
        self.sortedEventTypes = events.keys.sorted()
        self.eventSchemaIDs = events.values.flatMap { $0.map(\.id) }.sorted()
    }

    /// Every registered `$id`, sorted.
    public var schemaIDs: [String] { schemasByID.keys.sorted() }

    /// The schema with this `$id` (a fragment, if any, is ignored).
    public func schema(id: String) -> JSONValue? {
        schemasByID[SchemaReference.split(id).uri]
    }

    /// The file of the schema with this `$id`, relative to `folder`.
    public func path(ofSchema id: String) -> String? {
        pathsByID[SchemaReference.split(id).uri]
    }

    /// The envelope schema.
    public var envelope: JSONValue { schemasByID[envelopeID]! }

    /// Every event type with at least one data schema, sorted.
    public var eventTypes: [String] { sortedEventTypes }

    /// The versions of an event type, oldest first.
    public func versions(of type: String) -> [EventSchema] {
        eventSchemasByType[type] ?? []
    }

    /// The version a producer of `type` emits.
    public func newestVersion(of type: String) -> EventSchema? {
        eventSchemasByType[type]?.last
    }

    /// The event data schema an event's `dataschema` names, or nil when it names none.
    public func eventSchema(dataschema: String) -> EventSchema? {
        eventSchemasByType.values.lazy.flatMap { $0 }.first { $0.id == dataschema }
    }

    /// Every schema by `$id`, for a validator or a compatibility check that resolves `$ref`.
    public var schemas: [String: JSONValue] { schemasByID }

    private static func schemaFiles(in root: String) -> [String] {
        guard let paths = try? FileManager.default.subpathsOfDirectory(atPath: root) else { return [] }
        var files: [String] = []
        for path in paths {
            let components = path.split(separator: "/")
            if components.contains("examples") { continue }
            if path.hasSuffix(".schema.json") { files.append(path) }
        }
        return files.sorted()
    }

    /// `events/<type>/v<N>.schema.json` is version N of `type`.
    private static func eventSchema(path: String, id: String) -> EventSchema? {
        let components = path.split(separator: "/")
        guard components.count == 3, components[0] == "events",
              components[2].hasPrefix("v"), components[2].hasSuffix(".schema.json"),
              let version = Int(components[2].dropFirst().dropLast(".schema.json".count)), version > 0 else { return nil }
        return EventSchema(type: String(components[1]), version: version, id: id, path: path)
    }
}

extension ContractRegistry {
    /// The ways `instance` fails the schema with `$id` `schemaID`; empty when it is valid.
    public func violations(of instance: JSONValue, against schemaID: String) throws(ContractError) -> [ContractViolation] {
        guard let validator = validators[SchemaReference.split(schemaID).uri] else {
            throw ContractError(code: .unresolvableReference, message: "no contract has the $id \(schemaID)")
        }
        if validator.isValid(instance) { return [] }
        return validator.validate(instance).errors.map {
            ContractViolation(instanceLocation: $0.instanceLocation, keywordLocation: $0.keywordLocation, message: $0.message)
        }
    }

    /// The ways an event (as JSON) fails the envelope, which also checks `data` against the
    /// schema its `dataschema` names; empty when it is valid.
    public func violations(ofEvent event: JSONValue) -> [ContractViolation] {
        guard let envelopeValidator, !envelopeValidator.isValid(event) else { return [] }
        return envelopeValidator.validate(event).errors.map {
            ContractViolation(instanceLocation: $0.instanceLocation, keywordLocation: $0.keywordLocation, message: $0.message)
        }
    }

    /// The ways `event` fails its contract; empty when it is valid.
    public func violations(of event: CloudEvent) -> [ContractViolation] {
        violations(ofEvent: event.json)
    }

    /// A new event of `type` in the newest version of its data schema, validated: what a
    /// producer builds. `subject` defaults to `data.id` (the book id).
    public func newEvent(
        type: String, source: String, data: JSONValue, subject: String? = nil,
        safe: Bool = false, idempotent: Bool = true
    ) throws(ContractError) -> CloudEvent {
        guard let version = newestVersion(of: type) else {
            throw ContractError(code: .unknownDataSchema, message: "no contract defines the event type \(type)")
        }
        let event = CloudEvent(source: source, type: type, dataschema: version.id,
                               subject: subject ?? data["id"]?.string, safe: safe, idempotent: idempotent, data: data)
        try validate(event)
        return event
    }

    /// Throws unless `event` follows its contract: what a producer calls before sending.
    public func validate(_ event: CloudEvent) throws(ContractError) {
        try check(event.json)
    }

    /// Parses, validates and decodes a record value: what a consumer calls on every record.
    /// The error's code says why it is dead-lettered: `.notJSON`, `.unknownDataSchema` (an
    /// unknown `type` or `dataschema`) or `.contractViolation`, with the violations.
    public func decodeEvent(_ bytes: some Collection<UInt8>) throws(ContractError) -> CloudEvent {
        let json: JSONValue
        do {
            // The event's `data` goes to code that may keep it: it must not keep the arena chunks of this document.
            json = try JSONValue(parsing: bytes, placement: .shortLivedExceptNested)
        } catch {
            throw ContractError(code: .notJSON, message: "the record value is not JSON: \(error)")
        }
        try check(json)
        return try CloudEvent(json: json, knownTypes: sortedEventTypes, knownDataschemas: eventSchemaIDs)
    }

    private func check(_ json: JSONValue) throws(ContractError) {
        let found = violations(ofEvent: json)
        guard !found.isEmpty else { return }
        let unknown = found.filter { ($0.instanceLocation == "/dataschema" || $0.instanceLocation == "/type") && $0.keyword == "enum" }
        if !unknown.isEmpty {
            let named = [json["type"], json["dataschema"]].compactMap { $0?.serialized() }.joined(separator: ", ")
            throw ContractError(code: .unknownDataSchema,
                                message: "no contract defines this event (\(named)): the contracts folder may be older than the producer",
                                violations: found)
        }
        throw ContractError(code: .contractViolation, message: "the event violates its contract", violations: found)
    }
}
