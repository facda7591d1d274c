import BookshelfJSON
import FoundationEssentials
import BookshelfJSONSchema

/// `bookshelf contracts check`: the contracts folder is complete and consistent.
///
/// - every schema has an absolute `$id` matching its path, and is valid against the draft
///   2020-12 metaschema;
/// - every example gives its expected verdict, and every invalid example fails with each
///   (instanceLocation, keyword) it expects;
/// - the envelope's `dataschema` enum lists exactly the event schema files;
/// - every `$ref` of openapi.json and asyncapi.json names an existing file and location, every
///   REST schema's newest version (`rest/<name>/v<N>/`) is used by openapi.json and no older one is,
///   and every event version is described by an asyncapi.json message whose `type` and `dataschema`
///   match the file.
public struct ContractsCheck: Sendable {
    /// One thing wrong, naming the file (and where in it).
    public struct Finding: Sendable, Hashable, CustomStringConvertible {
        public let file: String
        public let message: String
        public var description: String { "\(file): \(message)" }
    }

    public struct Report: Sendable {
        public var findings: [Finding] = []
        public var schemas = 0
        public var examples = 0
        public var references = 0
        public var isPassing: Bool { findings.isEmpty }
    }

    public let folder: String
    /// The folder of the draft 2020-12 metaschemas (PyPI's jsonschema-specifications layout).
    public let metaschemas: String

    public init(folder: String, metaschemas: String) {
        self.folder = folder
        self.metaschemas = metaschemas
    }

    public func run() -> Report {
        var report = Report()
        let registry: ContractRegistry
        do {
            registry = try ContractRegistry(folder: folder, compiling: false)
        } catch {
            report.findings.append(Finding(file: folder, message: error.message))
            return report
        }
        report.schemas = registry.schemaIDs.count
        checkIDs(registry, into: &report)
        guard let validators = compileSchemas(registry, into: &report) else { return report }
        checkExamples(registry, validators, into: &report)
        checkEnvelope(registry, into: &report)
        checkOpenAPI(registry, into: &report)
        checkAsyncAPI(registry, into: &report)
        return report
    }

    // MARK: schemas

    /// The base every `$id` shares: the envelope's `$id` without its path in the folder.
    static func baseURI(_ registry: ContractRegistry) -> String {
        String(registry.envelopeID.dropLast(ContractRegistry.envelopePath.count))
    }

    private func checkIDs(_ registry: ContractRegistry, into report: inout Report) {
        let base = Self.baseURI(registry)
        for id in registry.schemaIDs {
            let path = registry.path(ofSchema: id)!
            if id != base + path {
                report.findings.append(Finding(file: path, message: "$id \(id) does not match the file's place (expected \(base + path)): relative $refs resolve by $id, so the two must agree"))
            }
        }
    }

    private func compileSchemas(_ registry: ContractRegistry, into report: inout Report) -> [String: JSONSchema]? {
        var schemaRegistry = SchemaRegistry()
        do {
            try schemaRegistry.registerMetaschemas(from: metaschemas)
        } catch {
            report.findings.append(Finding(file: metaschemas, message: "cannot load the draft 2020-12 metaschemas: \(error)"))
            return nil
        }
        for id in registry.schemaIDs {
            do {
                try schemaRegistry.register(registry.schema(id: id)!)
            } catch {
                report.findings.append(Finding(file: registry.path(ofSchema: id)!, message: error.description))
            }
        }
        var compiled: [String: JSONSchema] = [:]
        for id in registry.schemaIDs {
            do {
                compiled[id] = try schemaRegistry.schema(id: id)
            } catch {
                report.findings.append(Finding(file: registry.path(ofSchema: id)!, message: error.description))
            }
        }
        return compiled
    }

    // MARK: examples

    /// The schema a folder's examples are instances of: the envelope for `cloudevents/` and
    /// `events/*/` (examples are whole events), else the folder's only `*.schema.json`.
    static func subjectSchema(of folder: String, in registry: ContractRegistry) -> String? {
        let first = folder.split(separator: "/").first.map(String.init)
        if first == "cloudevents" || first == "events" { return registry.envelopeID }
        let candidates = registry.schemaIDs.filter { id in
            let path = registry.path(ofSchema: id)!
            return parentFolder(of: path) == folder
        }
        return candidates.count == 1 ? candidates[0] : nil
    }

    private func checkExamples(_ registry: ContractRegistry, _ validators: [String: JSONSchema], into report: inout Report) {
        // Consumers are tested with every version's valid examples, so each version needs one.
        var exemplified: Set<String> = []
        defer {
            for event in registry.eventTypes.flatMap({ registry.versions(of: $0) }) where !exemplified.contains(event.id) {
                report.findings.append(Finding(file: event.path, message: "no valid example in events/\(event.type)/examples/valid names this version as its dataschema"))
            }
        }
        for examples in exampleFolders() {
            let owner = parentFolder(of: examples)
            guard let subject = Self.subjectSchema(of: owner, in: registry) else {
                report.findings.append(Finding(file: examples, message: "no schema to check these examples against: the folder beside them needs exactly one *.schema.json"))
                continue
            }
            guard let validator = validators[subject] else {
                report.findings.append(Finding(file: examples, message: "not checked: their schema \(registry.path(ofSchema: subject)!) does not compile"))
                continue
            }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/" + examples)) ?? []
            for entry in entries.sorted() where entry != "valid" && entry != "invalid" {
                report.findings.append(Finding(file: examples + "/" + entry, message: "examples go in valid/ or invalid/"))
            }
            for kind in ["valid", "invalid"] {
                for name in jsonFiles(in: examples + "/" + kind) {
                    let file = examples + "/" + kind + "/" + name
                    report.examples += 1
                    let document: JSONValue
                    do {
                        document = try JSONValue(contentsOfFile: folder + "/" + file)
                    } catch {
                        report.findings.append(Finding(file: file, message: "not JSON: \(error)"))
                        continue
                    }
                    if kind == "valid" {
                        let errors = validator.validate(document).errors
                        if !errors.isEmpty {
                            report.findings.append(Finding(file: file, message: "a valid example fails its schema: " + errors.map(\.description).joined(separator: "; ")))
                        }
                        if let eventType = Self.eventType(ofFolder: owner) {
                            if document["type"]?.string != eventType {
                                report.findings.append(Finding(file: file, message: "a valid example of \(eventType) must be a \(eventType) event"))
                            }
                            if let dataschema = document["dataschema"]?.string { exemplified.insert(dataschema) }
                        }
                    } else {
                        checkInvalidExample(document, file: file, validator: validator, into: &report)
                    }
                }
            }
        }
    }

    /// `events/<type>` is the folder of event type `<type>`.
    static func eventType(ofFolder folder: String) -> String? {
        let components = folder.split(separator: "/")
        return components.count == 2 && components[0] == "events" ? String(components[1]) : nil
    }

    private func checkInvalidExample(_ document: JSONValue, file: String, validator: JSONSchema, into report: inout Report) {
        guard document["description"]?.string?.isEmpty == false, let instance = document["instance"],
              let expectations = document["expect"], expectations.count > 0,
              expectations.elements.allSatisfy({ $0["instanceLocation"]?.string != nil && $0["keyword"]?.string != nil }) else {
            report.findings.append(Finding(file: file, message: "an invalid example is {\"description\", \"instance\", \"expect\": [{\"instanceLocation\", \"keyword\"}, …]} with at least one expectation"))
            return
        }
        let errors = validator.validate(instance).errors
        guard !errors.isEmpty else {
            report.findings.append(Finding(file: file, message: "an invalid example passes its schema"))
            return
        }
        let reported = Set(errors.map { ExpectedFailure(instanceLocation: $0.instanceLocation, keyword: Self.keyword(of: $0.keywordLocation)) })
        for expectation in expectations.elements {
            let expected = ExpectedFailure(instanceLocation: expectation["instanceLocation"]!.string!, keyword: expectation["keyword"]!.string!)
            if !reported.contains(expected) {
                let seen = reported.sorted { ($0.instanceLocation, $0.keyword) < ($1.instanceLocation, $1.keyword) }
                    .map { "\($0.keyword) at '\($0.instanceLocation)'" }.joined(separator: ", ")
                report.findings.append(Finding(file: file, message: "expected a '\(expected.keyword)' failure at '\(expected.instanceLocation)', the validator reports: \(seen)"))
            }
        }
    }

    struct ExpectedFailure: Hashable {
        let instanceLocation: String
        let keyword: String
    }

    static func keyword(of keywordLocation: String) -> String {
        keywordLocation.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
    }

    /// Every `examples` folder, relative to the contracts folder.
    private func exampleFolders() -> [String] {
        guard let paths = try? FileManager.default.subpathsOfDirectory(atPath: folder) else { return [] }
        var found: [String] = []
        for path in paths {
            if path.split(separator: "/").last.map(String.init) == "examples" { found.append(path) }
        }
        return found.sorted()
    }

    private func jsonFiles(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder + "/" + directory)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted()
    }

    // MARK: the envelope and the API documents

    private func checkEnvelope(_ registry: ContractRegistry, into report: inout Report) {
        let file = ContractRegistry.envelopePath
        let listed = Set(registry.envelope["properties"]?["dataschema"]?["enum"]?.elements.compactMap(\.string) ?? [])
        let files = Set(registry.eventTypes.flatMap { registry.versions(of: $0) }.map(\.id))
        for id in files.subtracting(listed).sorted() {
            report.findings.append(Finding(file: file, message: "the event schema \(id) is missing from dataschema's enum (and its allOf entry), so events of that version are rejected"))
        }
        for id in listed.subtracting(files).sorted() {
            report.findings.append(Finding(file: file, message: "dataschema's enum lists \(id), which is no events/<type>/v<N>.schema.json file"))
        }
        let types = Set(registry.envelope["properties"]?["type"]?["enum"]?.elements.compactMap(\.string) ?? [])
        for type in Set(registry.eventTypes).symmetricDifference(types).sorted() {
            report.findings.append(Finding(file: file, message: "type's enum and the events/ folders disagree about \(type)"))
        }
    }

    private func loadDocument(_ name: String, _ registry: ContractRegistry, into report: inout Report) -> DocumentReferences? {
        do {
            let document = try JSONValue(contentsOfFile: folder + "/" + name)
            return DocumentReferences(registry: registry, file: name, document: document)
        } catch {
            report.findings.append(Finding(file: name, message: "missing or not JSON: \(error)"))
            return nil
        }
    }

    private func checkOpenAPI(_ registry: ContractRegistry, into report: inout Report) {
        guard let openapi = loadDocument("openapi.json", registry, into: &report) else { return }
        report.references += openapi.references.count
        report.findings += openapi.problems().map { Finding(file: "openapi.json", message: $0) }
        let used = openapi.referencedFiles
        let restPaths = registry.schemaIDs.map { registry.path(ofSchema: $0)! }.filter { $0.hasPrefix("rest/") }
        for versions in Dictionary(grouping: restPaths.map(Self.restVersion), by: \.name).values {
            let ordered = versions.sorted { $0.version < $1.version }
            let newest = ordered.last!
            if !used.contains(newest.path) {
                report.findings.append(Finding(file: "openapi.json", message: "the REST schema \(newest.path) is used by no operation"))
            }
            // An older version stays for the clients that pin it, but no operation speaks it any more.
            for old in ordered.dropLast() where used.contains(old.path) {
                report.findings.append(Finding(file: "openapi.json", message: "names \(old.path), which \(newest.path) supersedes: operations name the newest version of a REST schema"))
            }
        }
        for (path, item) in openapi.document["paths"]?.members.map({ $0 }) ?? [] {
            for (method, operation) in item.members where operation["responses"] != nil {
                for (status, response) in operation["responses"]!.members where (Int(status) ?? 0) >= 400 {
                    let resolved = response["$ref"]?.string.flatMap { JSONPointer.resolve(SchemaReference.split($0).fragment, in: openapi.document) } ?? response
                    if resolved["content"]?["application/problem+json"] == nil {
                        report.findings.append(Finding(file: "openapi.json", message: "\(method.uppercased()) \(path) \(status): errors are application/problem+json"))
                    }
                }
            }
        }
    }

    /// A REST schema's name and version: `rest/<name>/<name>.schema.json` is version 1 of `<name>`,
    /// `rest/<name>/v<N>/<name>.schema.json` version N; any other file is version 1 of its own path.
    static func restVersion(_ path: String) -> (name: String, version: Int, path: String) {
        let parts = path.split(separator: "/").map(String.init)
        if parts.count == 3, parts[2] == parts[1] + ".schema.json" { return (parts[1], 1, path) }
        if parts.count == 4, parts[3] == parts[1] + ".schema.json", parts[2].hasPrefix("v"),
           let version = Int(parts[2].dropFirst()), version > 1 {
            return (parts[1], version, path)
        }
        return (path, 1, path)
    }

    private func checkAsyncAPI(_ registry: ContractRegistry, into report: inout Report) {
        guard let asyncapi = loadDocument("asyncapi.json", registry, into: &report) else { return }
        report.references += asyncapi.references.count
        report.findings += asyncapi.problems().map { Finding(file: "asyncapi.json", message: $0) }
        var described: Set<String> = []
        for (name, message) in asyncapi.document["components"]?["messages"]?.members.map({ $0 }) ?? [] {
            let schema = message["payload"]?["schema"]
            guard let dataschema = schema?["properties"]?["dataschema"]?["const"]?.string else { continue }
            let at = "components/messages/\(name)"
            guard let event = registry.eventSchema(dataschema: dataschema) else {
                report.findings.append(Finding(file: "asyncapi.json", message: "\(at): dataschema \(dataschema) names no event schema"))
                continue
            }
            described.insert(event.id)
            if schema?["properties"]?["type"]?["const"]?.string != event.type {
                report.findings.append(Finding(file: "asyncapi.json", message: "\(at): type must be \(event.type), the type of \(event.path)"))
            }
            let dataReference = schema?["properties"]?["data"]?["$ref"]?.string
            if dataReference.flatMap({ asyncapi.target(of: $0)?.path }) != event.path {
                report.findings.append(Finding(file: "asyncapi.json", message: "\(at): data must $ref \(event.path), the file of its dataschema"))
            }
        }
        for event in registry.eventTypes.flatMap({ registry.versions(of: $0) }) where !described.contains(event.id) {
            report.findings.append(Finding(file: "asyncapi.json", message: "no message describes \(event.path) (\(event.type) v\(event.version))"))
        }
        // AsyncAPI 3.0: an operation's messages are messages of its channel; and a channel message
        // no operation sends or receives is a contract nobody tests.
        var used: Set<String> = []
        for (name, operation) in asyncapi.document["operations"]?.members.map({ $0 }) ?? [] {
            let channel = operation["channel"]?["$ref"]?.string ?? ""
            for message in operation["messages"]?.elements.compactMap({ $0["$ref"]?.string }) ?? [] {
                used.insert(message)
                if !message.hasPrefix(channel + "/messages/") {
                    report.findings.append(Finding(file: "asyncapi.json", message: "operations/\(name): \(message) is not a message of its channel \(channel)"))
                }
            }
        }
        for (channel, item) in asyncapi.document["channels"]?.members.map({ $0 }) ?? [] {
            for message in item["messages"]?.keys ?? [] where !used.contains("#/channels/\(channel)/messages/\(message)") {
                report.findings.append(Finding(file: "asyncapi.json", message: "channels/\(channel)/messages/\(message) is sent or received by no operation"))
            }
        }
    }
}

/// The folder part of a relative path (`events/x/examples` → `events/x`; `a` → ``).
private func parentFolder(of path: String) -> String {
    path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ""
}
