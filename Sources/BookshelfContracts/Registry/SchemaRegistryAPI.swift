import BookshelfJSON
import BookshelfJSONSchema

/// A read-only subset of the Confluent Schema Registry REST API over a contracts folder, so that
/// Confluent's serializers and registry clients (Java, Go, Python, .NET) read the folder as if it
/// were a registry. Subjects: one per event type (named by its CloudEvents type, versions = its
/// `v<N>` files), `bookshelf.events-value` (the envelope, with references to the data schemas), and
/// one per other schema (named by its path: `rest.book`, `deadletter.headers`). Ids are derived from
/// each schema's `$id`, so they stay the same across restarts and as files are added.
///
/// Knows no HTTP server: `respond` maps a method, path, query and body to a status and a JSON body.
public struct SchemaRegistryAPI: Sendable {
    /// The subject of the envelope, the value schema of `bookshelf.events` in Confluent's naming.
    public static let envelopeSubject = "bookshelf.events-value"

    struct Version: Sendable {
        let subject: String
        let version: Int
        let id: Int
        let schemaID: String
        let schema: JSONValue
        let text: String
        /// (name: the `$id` the schema's `$ref`s name, subject, version).
        let references: [(name: String, subject: String, version: Int)]
    }

    let subjects: [String: [Version]]
    let byID: [Int: Version]
    let declared: DeclaredCompatibility
    let checker: CompatibilityChecker

    public init(registry: ContractRegistry) throws(ContractError) {
        var versions: [(subject: String, version: Int, id: String)] = []
        for type in registry.eventTypes {
            for event in registry.versions(of: type) { versions.append((type, event.version, event.id)) }
        }
        let eventIDs = Set(versions.map(\.id))
        for id in registry.schemaIDs where !eventIDs.contains(id) {
            if id == registry.envelopeID {
                versions.append((Self.envelopeSubject, 1, id))
            } else {
                let (subject, version) = Self.subject(path: registry.path(ofSchema: id) ?? id)
                versions.append((subject, version, id))
            }
        }
        let location = versions.map { ($0.id, ($0.subject, $0.version)) }
        let subjectOfID = Dictionary(location, uniquingKeysWith: { first, _ in first })
        let ids = Self.stableIDs(versions.map(\.id))
        var subjects: [String: [Version]] = [:]
        var byID: [Int: Version] = [:]
        for entry in versions {
            guard let schema = registry.schema(id: entry.id), let id = ids[entry.id] else { continue }
            let references = Self.referencedDocuments(schema, base: entry.id).compactMap { name -> (String, String, Int)? in
                guard let (subject, version) = subjectOfID[name] else { return nil }
                return (name, subject, version)
            }
            let version = Version(subject: entry.subject, version: entry.version, id: id, schemaID: entry.id, schema: schema,
                                  text: schema.serialized(), references: references)
            subjects[entry.subject, default: []].append(version)
            byID[id] = version
        }
        self.subjects = subjects.mapValues { $0.sorted { $0.version < $1.version } }
        self.byID = byID
        let asyncapi = try? JSONValue(contentsOfFile: registry.folder + "/asyncapi.json")
        self.declared = asyncapi?["info"]?["x-compatibility"]?.string.flatMap(DeclaredCompatibility.init(confluentName:)) ?? .default
        self.checker = CompatibilityChecker(schemas: registry.schemas)
    }

    /// `rest/book/book.schema.json` → `rest.book` version 1; `rest/book/v2/book.schema.json` → `rest.book`
    /// version 2 (a REST body's later versions live in `v<N>/` beside the first); `deadletter/headers.schema.json`
    /// → `deadletter.headers` version 1.
    static func subject(path: String) -> (name: String, version: Int) {
        var parts = path.split(separator: "/").map(String.init)
        let file = String((parts.popLast() ?? path).dropLast(".schema.json".count))
        var version = 1
        if parts.count >= 2, let last = parts.last, last.first == "v", let number = Int(last.dropFirst()), number > 0,
           parts[parts.count - 2] == file {
            version = number
            parts.removeLast()
        }
        if parts.last != file { parts.append(file) }
        return (parts.joined(separator: "."), version)
    }

    /// An id per `$id`: FNV-1a of the `$id`, in 1..<2^31, probing on a collision in sorted order.
    static func stableIDs(_ schemaIDs: [String]) -> [String: Int] {
        var taken: Set<Int> = []
        var result: [String: Int] = [:]
        for schemaID in Set(schemaIDs).sorted() {
            var hash: UInt32 = 2_166_136_261
            for byte in schemaID.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
            var id = Int(hash & 0x7fff_ffff)
            if id == 0 { id = 1 }
            while taken.contains(id) { id = id % 0x7fff_fffe + 1 }
            taken.insert(id)
            result[schemaID] = id
        }
        return result
    }

    /// The other documents a schema's `$ref`s name, as absolute URIs, sorted.
    static func referencedDocuments(_ schema: JSONValue, base: String) -> [String] {
        var found: Set<String> = []
        func walk(_ value: JSONValue) {
            if value.isObject {
                for (key, member) in value.members {
                    if key == "$ref", let reference = member.string {
                        let document = SchemaReference.resolve(reference, against: base).document
                        if document != base { found.insert(document) }
                    } else {
                        walk(member)
                    }
                }
            } else if value.isArray {
                value.elements.forEach(walk)
            }
        }
        walk(schema)
        return found.sorted()
    }

    // MARK: requests

    /// An answer: HTTP status and JSON body.
    public struct Answer: Sendable {
        public let status: Int
        public let body: JSONValue
    }

    static func error(_ status: Int, _ code: Int, _ message: String) -> Answer {
        Answer(status: status, body: ["error_code": .number(code), "message": .string(message)])
    }

    static let readOnly = error(422, 42205, "this registry is read-only: it serves a contracts folder, and the folder in git is the source of truth; change the schema there (a new version file, reviewed in a pull request) and restart")

    /// The answer to one request. `path` is percent-decoded segment by segment by the caller's router or here.
    public func respond(method: String, path: String, query: [String: String], body: [UInt8]) -> Answer {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map { URIReference.percentDecoded(String($0)) }
        switch (method, segments.count) {
        case ("GET", 0):
            return Answer(status: 200, body: [:])
        case ("GET", 1) where segments[0] == "subjects":
            return Answer(status: 200, body: .array(subjects.keys.sorted().map(JSONValue.string)))
        case ("GET", 1) where segments[0] == "schemas":
            return Answer(status: 200, body: .array(byID.keys.sorted().compactMap { byID[$0] }.map { schemaJSON($0, withSubject: true) }))
        case ("GET", 1) where segments[0] == "config":
            return Answer(status: 200, body: ["compatibilityLevel": .string(declared.confluentName)])
        case ("GET", 1) where segments[0] == "mode":
            return Answer(status: 200, body: ["mode": "READONLY"])
        case ("GET", 2) where segments[0] == "config":
            guard subjects[segments[1]] != nil else { return subjectNotFound(segments[1]) }
            return Answer(status: 200, body: ["compatibilityLevel": .string(declared.confluentName)])
        case ("GET", 3) where segments[0] == "schemas" && segments[1] == "ids",
             ("GET", 4) where segments[0] == "schemas" && segments[1] == "ids" && segments[3] == "schema":
            guard let id = Int(segments[2]), let version = byID[id] else { return Self.error(404, 40403, "schema \(segments[2]) not found") }
            if segments.count == 4 { return Answer(status: 200, body: version.schema) }
            var members: [(String, JSONValue)] = [("schemaType", "JSON"), ("schema", .string(version.text))]
            if !version.references.isEmpty { members.append(("references", references(version))) }
            return Answer(status: 200, body: .object(members))
        case ("GET", 4) where segments[0] == "schemas" && segments[1] == "ids" && segments[3] == "versions":
            guard let id = Int(segments[2]), let version = byID[id] else { return Self.error(404, 40403, "schema \(segments[2]) not found") }
            return Answer(status: 200, body: [["subject": .string(version.subject), "version": .number(version.version)]])
        case ("GET", 3) where segments[0] == "subjects" && segments[2] == "versions":
            guard let versions = subjects[segments[1]] else { return subjectNotFound(segments[1]) }
            return Answer(status: 200, body: .array(versions.map { JSONValue.number($0.version) }))
        case ("GET", 4) where segments[0] == "subjects" && segments[2] == "versions",
             ("GET", 5) where segments[0] == "subjects" && segments[2] == "versions" && segments[4] == "schema":
            switch version(segments[1], segments[3]) {
            case .failure(let error): return error.answer
            case .success(let version):
                return Answer(status: 200, body: segments.count == 5 ? version.schema : schemaJSON(version, withSubject: true))
            }
        case ("POST", 2) where segments[0] == "subjects":
            return lookUp(subject: segments[1], body: body)
        case ("POST", 4) where segments[0] == "compatibility" && segments[1] == "subjects" && segments[3] == "versions":
            return compatibility(subject: segments[2], version: "latest", body: body, verbose: query["verbose"] == "true")
        case ("POST", 5) where segments[0] == "compatibility" && segments[1] == "subjects" && segments[3] == "versions":
            return compatibility(subject: segments[2], version: segments[4], body: body, verbose: query["verbose"] == "true")
        case ("POST", _), ("PUT", _), ("DELETE", _), ("PATCH", _):
            return Self.readOnly
        default:
            return Self.error(404, 404, "no such endpoint: \(method) \(path) (this registry serves a read-only subset of Confluent's API)")
        }
    }

    private func subjectNotFound(_ subject: String) -> Answer {
        Self.error(404, 40401, "subject \(subject) not found")
    }

    private func version(_ subject: String, _ name: String) -> Result<Version, AnswerError> {
        guard let versions = subjects[subject], let latest = versions.last else { return .failure(AnswerError(subjectNotFound(subject))) }
        if name == "latest" || name == "-1" { return .success(latest) }
        guard let number = Int(name), let found = versions.first(where: { $0.version == number }) else {
            return .failure(AnswerError(Self.error(404, 40402, "version \(name) of subject \(subject) not found")))
        }
        return .success(found)
    }

    struct AnswerError: Error {
        let answer: Answer
        init(_ answer: Answer) { self.answer = answer }
    }

    private func references(_ version: Version) -> JSONValue {
        .array(version.references.map { ["name": .string($0.name), "subject": .string($0.subject), "version": .number($0.version)] })
    }

    private func schemaJSON(_ version: Version, withSubject: Bool) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("subject", .string(version.subject)), ("version", .number(version.version)), ("id", .number(version.id)),
            ("schemaType", "JSON"), ("schema", .string(version.text)),
        ]
        if !version.references.isEmpty { members.append(("references", references(version))) }
        return .object(members)
    }

    /// The schema a request body carries (`{"schema": "<JSON text>", "schemaType": "JSON"}`).
    private func postedSchema(_ body: [UInt8]) -> Result<JSONValue, AnswerError> {
        guard let request = try? JSONValue(parsing: body), let text = request["schema"]?.string else {
            return .failure(AnswerError(Self.error(422, 42201, "the body must be {\"schema\": \"<the schema as a JSON string>\"}")))
        }
        if let type = request["schemaType"]?.string, type != "JSON" {
            return .failure(AnswerError(Self.error(422, 42201, "only JSON schemas are served here, not \(type)")))
        }
        guard let schema = try? JSONValue(parsing: text) else {
            return .failure(AnswerError(Self.error(422, 42201, "the schema is not JSON")))
        }
        return .success(schema)
    }

    private func lookUp(subject: String, body: [UInt8]) -> Answer {
        guard let versions = subjects[subject] else { return subjectNotFound(subject) }
        switch postedSchema(body) {
        case .failure(let error): return error.answer
        case .success(let schema):
            guard let found = versions.first(where: { $0.schema == schema }) else {
                return Self.error(404, 40403, "schema not found under subject \(subject)")
            }
            return Answer(status: 200, body: schemaJSON(found, withSubject: true))
        }
    }

    private func compatibility(subject: String, version name: String, body: [UInt8], verbose: Bool) -> Answer {
        let existing: Version
        switch version(subject, name) {
        case .failure(let error): return error.answer
        case .success(let found): existing = found
        }
        let schema: JSONValue
        switch postedSchema(body) {
        case .failure(let error): return error.answer
        case .success(let posted): schema = posted
        }
        guard let mode = declared.mode else { return Answer(status: 200, body: ["is_compatible": true]) }
        let report = checker.report(old: existing.schema, new: schema, mode: mode)
        var members: [(String, JSONValue)] = [("is_compatible", .bool(report.compatible))]
        if verbose {
            members.append(("messages", .array(report.findings.map { finding in
                let witness = finding.witness.map { " witness (\($0.acceptedBy.rawValue) accepts, \($0.rejectedBy.rawValue) refuses): \($0.document.serialized())" } ?? ""
                return .string("\(finding.incompatibility) [\(finding.rule.rawValue)]\(witness)")
            })))
        }
        return Answer(status: 200, body: .object(members))
    }
}
