import BookshelfJSON
import Foundation
import BookshelfJSONSchema
import Synchronization

/// One contract violation, located as a reader fixes it: the contract file, the JSON pointer into that file
/// (the schema keyword or the operation), and the JSON pointer into the checked instance.
struct Finding: Sendable, Hashable, CustomStringConvertible {
    var contract: String
    var pointer: String
    var instance: String
    var message: String

    var description: String {
        "\(contract)#\(pointer)" + (instance.isEmpty ? "" : " (instance \(instance))") + ": \(message)"
    }
}

/// contracts/ as the suite reads it: every schema registered by `$id`, the two API documents, and the example
/// files. Loaded once per run; a suite test may load a modified copy from another folder.
final class ContractSet: Sendable {
    static let idPrefix = "https://bookshelf.example/contracts/"
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let shared: ContractSet = {
        do { return try ContractSet(folder: repository.appendingPathComponent("contracts").path) } catch {
            fatalError("contracts/ does not load: \(error)")
        }
    }()

    let folder: String
    let registry: SchemaRegistry
    let asyncAPI: JSONValue
    let openAPI: JSONValue
    let operations: [AsyncOperation]
    let messages: [String: AsyncMessage]
    private let compiled: Mutex<[String: JSONSchema]> = Mutex([:])

    init(folder: String) throws {
        self.folder = folder
        var registry = SchemaRegistry()
        try registry.registerDirectory(folder)
        self.registry = registry
        asyncAPI = try JSONValue(contentsOfFile: folder + "/asyncapi.json")
        openAPI = try JSONValue(contentsOfFile: folder + "/openapi.json")
        messages = AsyncMessage.all(in: asyncAPI)
        operations = AsyncOperation.all(in: asyncAPI, messages: messages)
    }

    /// The contract file a schema `$id` (or a URI into one) lives in, as `contracts/…`.
    static func file(ofSchema uri: String) -> String {
        let document = uri.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        return document.hasPrefix(idPrefix) ? "contracts/" + document.dropFirst(idPrefix.count) : document
    }

    func schema(_ id: String) throws -> JSONSchema {
        if let schema = compiled.withLock({ $0[id] }) { return schema }
        let schema = try registry.schema(id: id)
        compiled.withLock { $0[id] = schema }
        return schema
    }

    /// Compiles a schema written inline in asyncapi.json or openapi.json. Its relative `$ref`s name files
    /// relative to contracts/, so it is registered under a URI in that folder.
    func inlineSchema(_ schema: JSONValue, name: String) throws -> JSONSchema {
        let uri = Self.idPrefix + "inline/" + name
        if let compiled = compiled.withLock({ $0[uri] }) { return compiled }
        let result = try registry.compile(schema, uri: Self.idPrefix + name)
        compiled.withLock { $0[uri] = result }
        return result
    }

    /// The violations of `instance` against the schema with `$id` `id`, each naming the schema file and the
    /// failing keyword's pointer in it.
    func violations(of instance: JSONValue, against id: String, what: String) -> [Finding] {
        do {
            return Self.findings(try schema(id).validate(instance), what: what)
        } catch {
            return [Finding(contract: Self.file(ofSchema: id), pointer: "", instance: "", message: "\(what): the schema does not compile: \(error)")]
        }
    }

    static func findings(_ result: ValidationResult, what: String) -> [Finding] {
        result.errors.map { error in
            let pointer = error.absoluteKeywordLocation.split(separator: "#", maxSplits: 1).dropFirst().first.map(String.init) ?? error.keywordLocation
            return Finding(contract: file(ofSchema: error.absoluteKeywordLocation), pointer: pointer, instance: error.instanceLocation.isEmpty ? "/" : error.instanceLocation, message: "\(what): \(error.message)")
        }
    }

    /// The examples of a contracts/ subfolder (`events/bookshelf.book.added`), valid or invalid, sorted by
    /// file name. A valid example file is the document itself; an invalid one wraps the document in
    /// `instance` beside what a validator must report (contracts/README.md), so its `bytes` are the
    /// `instance`: the document a service is fed.
    func examples(_ subfolder: String, valid: Bool) -> [Example] {
        let directory = folder + "/" + subfolder + "/examples/" + (valid ? "valid" : "invalid")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return names.compactMap { name in
            guard let contents = FileManager.default.contents(atPath: directory + "/" + name) else { return nil }
            let file = "contracts/\(subfolder)/examples/\(valid ? "valid" : "invalid")/\(name)"
            if valid { return Example(file: file, bytes: Array(contents)) }
            guard let instance = (try? JSONValue(parsing: Array(contents)))?["instance"] else {
                preconditionFailure("\(file) has no `instance`: an invalid example wraps its document (contracts/README.md)")
            }
            return Example(file: file, bytes: instance.serializedBytes())
        }
    }
}

struct Example: Sendable {
    var file: String
    /// The document: the file itself for a valid example, its `instance` for an invalid one.
    var bytes: [UInt8]
    var json: JSONValue? { try? JSONValue(parsing: bytes) }
}
