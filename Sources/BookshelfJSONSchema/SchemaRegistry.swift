import BookshelfJSON
import CJansson
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Schemas known by URI, so that `$ref` resolves offline: every registered document under its
/// `$id` (or the URI it was registered with), every embedded `$id`, `$anchor` and `$dynamicAnchor`.
///
/// Register documents, then compile: `try registry.schema(id:)` or `try registry.compile(document)`.
/// Compiled schemas are independent of the registry afterwards (they keep what they use alive).
public struct SchemaRegistry: Sendable {
    /// The dialect of every schema without `$schema`, and the only one this validator implements.
    public static let draft202012 = "https://json-schema.org/draft/2020-12/schema"

    /// Schema resources by absolute URI without fragment.
    var resources: [String: JSONValue] = [:]
    /// `$anchor`s and `$dynamicAnchor`s by "resource-uri#name".
    var anchors: [String: JSONValue] = [:]
    /// Which entries of `anchors` are `$dynamicAnchor`s, per resource: resource URI -> names.
    var dynamicAnchors: [String: Set<String>] = [:]
    /// Where every indexed subschema sits: jansson node address -> its resource, pointer, dialect.
    var locations: [UInt: SchemaLocation] = [:]
    /// Set when metaschemas were loaded, so compiled schemas can be checked against them.
    package private(set) var hasMetaschemas = false

    public init() {}

    /// Registers `document` under `uri`, or under its own `$id` when `uri` is nil.
    @discardableResult
    public mutating func register(_ document: JSONValue, uri: String? = nil) throws(SchemaError) -> String {
        let id: String
        if let uri {
            id = URIReference(uri).withoutFragment.description
        } else if let declared = document["$id"]?.string {
            id = URIReference(declared).withoutFragment.description
        } else {
            throw SchemaError(code: .missingIdentifier,
                              message: "the schema has no \"$id\"; give it an absolute \"$id\" so that others can refer to it")
        }
        if let existing = resources[id], existing != document {
            throw SchemaError(code: .duplicateIdentifier, message: "two different schemas claim the URI \(id)")
        }
        index(document, base: URIReference(id), pointer: "", dialect: nil, isDocumentRoot: true)
        // A document found by one URI may declare another in "$id": both name it.
        resources[id] = document
        return id
    }

    /// Registers every `*.json` file under `directory` (recursively) by its `$id`. Files that are
    /// not schemas (no `$id`, or not an object) are skipped, so a contracts folder with examples
    /// can be registered whole.
    public mutating func registerDirectory(_ directory: String) throws(SchemaError) {
        for path in Self.jsonFiles(under: directory) {
            let document: JSONValue
            do {
                document = try JSONValue(contentsOfFile: path)
            } catch {
                throw SchemaError(code: .unreadable, message: "\(path): \(error)")
            }
            guard document.isObject, let id = document["$id"]?.string, URIReference(id).scheme != nil else { continue }
            try register(document)
        }
    }

    /// Registers the JSON Schema suite's `remotes` layout: every file by its path under `baseURI`
    /// (as the suite's tests expect them at http://localhost:1234/).
    package mutating func registerTree(_ directory: String, baseURI: String) throws(SchemaError) {
        let root = directory.hasSuffix("/") ? directory : directory + "/"
        for path in Self.jsonFiles(under: directory) {
            let document: JSONValue
            do {
                document = try JSONValue(contentsOfFile: path)
            } catch {
                throw SchemaError(code: .unreadable, message: "\(path): \(error)")
            }
            try register(document, uri: baseURI + path.dropFirst(root.count))
        }
    }

    /// Loads the draft 2020-12 metaschema and its vocabulary metaschemas from `directory` (the
    /// `schemas/draft202012` folder of PyPI's `jsonschema-specifications`).
    public mutating func registerMetaschemas(from directory: String) throws(SchemaError) {
        let files = [directory + "/metaschema.json"]
            + ["core", "applicator", "unevaluated", "validation", "meta-data", "format-annotation",
               "format-assertion", "content"].map { directory + "/vocabularies/" + $0 }
        for path in files {
            do {
                try register(try JSONValue(contentsOfFile: path))
            } catch let error as JSONParseError {
                throw SchemaError(code: .unreadable, message: "metaschema \(path): \(error)")
            } catch let error as SchemaError {
                throw error
            } catch {
                throw SchemaError(code: .unreadable, message: "metaschema \(path): \(error)")
            }
        }
        hasMetaschemas = true
    }

    /// Where `jsonschema-specifications` keeps the 2020-12 metaschemas: `$BOOKSHELF_METASCHEMAS`,
    /// else the project's `.venv` (made by `make deps-py`) in the working directory or next to
    /// the executable's build folder. Nil when none is found.
    package static func defaultMetaschemaDirectory(executablePath: String? = CommandLine.arguments.first) -> String? {
        if let configured = getenv("BOOKSHELF_METASCHEMAS") {
            return String(cString: configured)
        }
        var roots = ["."]
        if let executablePath, let slash = executablePath.lastIndex(of: "/") {
            // .build/<config>/bookshelf -> the checkout three levels up.
            roots.append(String(executablePath[..<slash]) + "/../..")
        }
        for root in roots {
            let lib = root + "/.venv/lib"
            for python in directoryEntries(lib) where python.hasPrefix("python") {
                let candidate = "\(lib)/\(python)/site-packages/jsonschema_specifications/schemas/draft202012"
                if access(candidate + "/metaschema.json", R_OK) == 0, let absolute = realpath(candidate, nil) {
                    defer { free(absolute) }
                    return String(cString: absolute)
                }
            }
        }
        return nil
    }

    // MARK: Indexing

    /// Records `node` and its subschemas: resources, anchors, and the location of every schema.
    mutating func index(_ node: JSONValue, base: URIReference, pointer: String, dialect: String?, isDocumentRoot: Bool) {
        var base = base
        var pointer = pointer
        var dialect = dialect
        guard node.isObject else {
            if node.isBool {
                locations[UInt(bitPattern: node.raw)] = SchemaLocation(resource: base.description, pointer: pointer, dialect: dialect)
            }
            if isDocumentRoot { resources[base.description] = node }
            return
        }
        if let schema = node["$schema"]?.string { dialect = URIReference(schema).withoutFragment.description }
        if let id = node["$id"]?.string {
            base = URIReference(id).resolved(against: base).withoutFragment
            pointer = ""
            resources[base.description] = node
        } else if isDocumentRoot {
            resources[base.description] = node
        }
        let resource = base.description
        locations[UInt(bitPattern: node.raw)] = SchemaLocation(resource: resource, pointer: pointer, dialect: dialect)
        if let anchor = node["$anchor"]?.string {
            anchors[resource + "#" + anchor] = node
        }
        if let anchor = node["$dynamicAnchor"]?.string {
            anchors[resource + "#" + anchor] = node
            dynamicAnchors[resource, default: []].insert(anchor)
        }
        for (keyword, value) in node.members {
            switch keyword {
            case "additionalProperties", "unevaluatedProperties", "unevaluatedItems", "items", "contains",
                 "propertyNames", "not", "if", "then", "else", "contentSchema":
                index(value, base: base, pointer: pointer + "/" + keyword, dialect: dialect, isDocumentRoot: false)
            case "allOf", "anyOf", "oneOf", "prefixItems":
                for (offset, element) in value.elements.enumerated() {
                    index(element, base: base, pointer: "\(pointer)/\(keyword)/\(offset)", dialect: dialect, isDocumentRoot: false)
                }
            case "$defs", "definitions", "properties", "patternProperties", "dependentSchemas":
                for (name, member) in value.members {
                    index(member, base: base, pointer: "\(pointer)/\(keyword)/\(JSONPointer.escape(name))",
                          dialect: dialect, isDocumentRoot: false)
                }
            default:
                continue
            }
        }
    }

    /// The schema a URI reference names, and where it sits. Nil when nothing registered matches.
    func lookup(_ uri: URIReference) -> (node: JSONValue, location: SchemaLocation)? {
        let resourceURI = uri.withoutFragment.description
        let fragment = uri.fragment.map(URIReference.percentDecoded) ?? ""
        if !fragment.isEmpty && !fragment.hasPrefix("/") {
            guard let node = anchors[resourceURI + "#" + fragment] else { return nil }
            return (node, location(of: node, fallback: SchemaLocation(resource: resourceURI, pointer: "", dialect: nil)))
        }
        guard var node = resources[resourceURI] else { return nil }
        var location = location(of: node, fallback: SchemaLocation(resource: resourceURI, pointer: "", dialect: nil))
        guard !fragment.isEmpty else { return (node, location) }
        var pointer = location.pointer
        for token in fragment.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let key = JSONPointer.unescape(token)
            if node.isArray, let index = Int(key), let element = node[index] {
                node = element
            } else if let member = node[key] {
                node = member
            } else {
                return nil
            }
            pointer += "/" + JSONPointer.escape(key)
            // Subschemas under keywords the indexer does not know (so not indexed) still get a
            // usable base: their resource's, with the pointer that led here.
            location = self.location(of: node, fallback: SchemaLocation(resource: location.resource, pointer: pointer,
                                                                       dialect: location.dialect))
            pointer = location.pointer
        }
        return (node, location)
    }

    func location(of node: JSONValue, fallback: SchemaLocation) -> SchemaLocation {
        locations[UInt(bitPattern: node.raw)] ?? fallback
    }

    static func jsonFiles(under directory: String) -> [String] {
        var files: [String] = []
        for entry in directoryEntries(directory).sorted() where !entry.hasPrefix(".") {
            let path = directory + "/" + entry
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                files += jsonFiles(under: path)
            } else if entry.hasSuffix(".json") {
                files.append(path)
            }
        }
        return files
    }

    static func directoryEntries(_ directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { buffer in
                String(cString: buffer.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

/// Where a subschema sits: its schema resource, the pointer to it inside that resource, and the
/// dialect (`$schema`) in force there.
struct SchemaLocation: Sendable {
    var resource: String
    var pointer: String
    var dialect: String?
}
