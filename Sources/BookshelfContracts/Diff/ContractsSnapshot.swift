import BookshelfJSON
import FoundationEssentials

/// The JSON files of a contracts folder at one point in time (the working tree, or a git
/// revision): `*.schema.json`, `openapi.json` and `asyncapi.json`, by path relative to the folder,
/// parsed, with their text kept for line numbers. Examples are test vectors, not contracts, and
/// are left out.
public struct ContractsSnapshot: Sendable {
    public let documents: [String: JSONValue]
    let texts: [String: String]

    /// Whether the folder keeps this file in a snapshot.
    static func isContract(_ path: String) -> Bool {
        guard !path.split(separator: "/").contains("examples") else { return false }
        return path.hasSuffix(".schema.json") || path == "openapi.json" || path == "asyncapi.json"
    }

    /// Parses `files` (path relative to the folder, bytes), keeping the contracts among them.
    package init(files: [String: [UInt8]], origin: String) throws(ContractError) {
        var documents: [String: JSONValue] = [:]
        var texts: [String: String] = [:]
        for (path, bytes) in files where Self.isContract(path) {
            do {
                documents[path] = try JSONValue(parsing: bytes)
            } catch {
                throw ContractError(code: .badSchemaFile, message: "\(origin): \(path) is not JSON: \(error)")
            }
            texts[path] = String(decoding: bytes, as: UTF8.self)
        }
        self.documents = documents
        self.texts = texts
    }

    /// The contracts in `folder` on disk.
    public init(folder: String) throws(ContractError) {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory else {
            throw ContractError(code: .folderNotFound, message: "no contracts folder at \(folder)")
        }
        var files: [String: [UInt8]] = [:]
        for path in (try? FileManager.default.subpathsOfDirectory(atPath: folder)) ?? [] where Self.isContract(path) {
            guard let data = FileManager.default.contents(atPath: folder + "/" + path) else {
                throw ContractError(code: .badSchemaFile, message: "cannot read \(folder)/\(path)")
            }
            files[path] = Array(data)
        }
        try self.init(files: files, origin: folder)
    }

    /// Every schema by its `$id`, and every file by a `file://contracts/<path>` URI as well, so
    /// that the relative `$ref`s of `openapi.json` and `asyncapi.json` resolve to the files they name.
    var schemaDocuments: SchemaDocuments {
        var byID: [String: JSONValue] = [:]
        for (path, document) in documents {
            byID[Self.fileURI(path)] = document
            if let id = document["$id"]?.string { byID[SchemaReference.split(id).uri] = document }
        }
        return SchemaDocuments(byID: byID)
    }

    /// Schemas by `$id` only, for the compatibility checker.
    var schemasByID: [String: JSONValue] {
        var byID: [String: JSONValue] = [:]
        for document in documents.values {
            if let id = document["$id"]?.string { byID[SchemaReference.split(id).uri] = document }
        }
        return byID
    }

    static func fileURI(_ path: String) -> String {
        "file://contracts/" + path
    }

    /// The 1-based line of the deepest part of `pointer` that `path`'s text has: each token is
    /// looked for as a quoted key after the previous one. 1 when the file is absent.
    func line(of pointer: String, in path: String) -> Int {
        guard let text = texts[path], let document = documents[path] else { return 1 }
        // Only the part of the pointer the file still has: a token searched past a removed member
        // would land on a namesake further down.
        var tokens = pointer.split(separator: "/", omittingEmptySubsequences: true)
        while !tokens.isEmpty, JSONPointer.resolve("/" + tokens.joined(separator: "/"), in: document) == nil {
            tokens.removeLast()
        }
        let utf8 = Array(text.utf8)
        var offset = 0
        for raw in tokens {
            let token = String(raw).replacing("~1", with: "/").replacing("~0", with: "~")
            guard Int(token) == nil else { continue }
            let needle = Array(("\"" + token + "\"").utf8)
            guard let found = Self.firstIndex(of: needle, in: utf8, from: offset) else { break }
            offset = found
        }
        return utf8[..<offset].reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var index = start
        while index + needle.count <= haystack.count {
            if haystack[index] == needle[0], Array(haystack[index..<(index + needle.count)]) == needle { return index }
            index += 1
        }
        return nil
    }
}
