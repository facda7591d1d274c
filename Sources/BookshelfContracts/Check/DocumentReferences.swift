import BookshelfJSON
import BookshelfJSONSchema
import FoundationEssentials

/// The `$ref`s of an API document (openapi.json, asyncapi.json), checked against the contracts
/// folder: a local `#/…` must name a location in the document; a file reference must name a
/// schema file of the folder, and its fragment a location in that schema.
struct DocumentReferences {
    let registry: ContractRegistry
    let file: String
    let document: JSONValue

    /// Every `$ref` in the document with the JSON pointer of the object holding it.
    var references: [(pointer: String, reference: String)] {
        var found: [(String, String)] = []
        func walk(_ value: JSONValue, _ pointer: String) {
            if value.isObject {
                for (key, member) in value.members {
                    if key == "$ref", let reference = member.string {
                        found.append((pointer, reference))
                    } else {
                        walk(member, JSONPointer.appending(key, to: pointer))
                    }
                }
            } else if value.isArray {
                for (index, element) in value.elements.enumerated() {
                    walk(element, JSONPointer.appending(index, to: pointer))
                }
            }
        }
        walk(document, "")
        return found
    }

    /// The schema file (relative to the folder) a reference names, with its `$id`, or nil for a
    /// local reference.
    func target(of reference: String) -> (path: String, id: String?, fragment: String)? {
        let (uri, fragment) = SchemaReference.split(reference)
        guard !uri.isEmpty else { return nil }
        let path = URIReference.removeDotSegments("/" + uri).dropFirst()
        let id = registry.schemaIDs.first { registry.path(ofSchema: $0) == String(path) }
        return (String(path), id, fragment)
    }

    /// One message per `$ref` that names nothing.
    func problems() -> [String] {
        var problems: [String] = []
        for (pointer, reference) in references {
            let at = "\(file)#\(pointer)"
            guard let target = target(of: reference) else {
                let fragment = SchemaReference.split(reference).fragment
                if JSONPointer.resolve(fragment, in: document) == nil {
                    problems.append("\(at): $ref \"\(reference)\" names no location in \(file)")
                }
                continue
            }
            if SchemaReference.hasScheme(reference) {
                problems.append("\(at): $ref \"\(reference)\" is absolute; API documents name schema files by relative path so that tools resolve them offline")
                continue
            }
            guard let id = target.id, let schema = registry.schema(id: id) else {
                problems.append("\(at): $ref \"\(reference)\" names \(target.path), which is not a schema file of the contracts folder")
                continue
            }
            if !(target.fragment.isEmpty || target.fragment.hasPrefix("/")) || JSONPointer.resolve(target.fragment, in: schema) == nil {
                problems.append("\(at): $ref \"\(reference)\" names no location \"#\(target.fragment)\" in \(target.path)")
            }
        }
        return problems
    }

    /// The schema files the document names (whole files, not fragments of them).
    var referencedFiles: Set<String> {
        Set(references.compactMap { target(of: $0.reference) }.filter { $0.fragment.isEmpty }.map(\.path))
    }
}
