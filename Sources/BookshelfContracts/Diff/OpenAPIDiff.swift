import BookshelfJSON
import BookshelfJSONSchema

/// `openapi.json` against its previous state: operations, responses and the fields of request
/// and response bodies, following `$ref`s into the folder's schemas.
struct OpenAPIDiff {
    let base: ContractsSnapshot
    let head: ContractsSnapshot
    static let file = "openapi.json"
    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// A field of a body: its types (nil when unconstrained) and whether it is always present.
    struct Field: Equatable {
        var types: Set<String>?
        var required: Bool
    }

    func findings() -> [DiffFinding] {
        guard let old = base.documents[Self.file], let new = head.documents[Self.file] else { return [] }
        var findings: [DiffFinding] = []
        let oldFields = FieldReader(snapshot: base), newFields = FieldReader(snapshot: head)
        for (path, oldItem) in (old["paths"] ?? [:]).members {
            for method in Self.methods {
                guard let oldOperation = oldItem[method] else { continue }
                let pointer = JSONPointer.appending(method, to: JSONPointer.appending(path, to: "/paths"))
                let name = "\(method.uppercased()) \(path)"
                guard let newOperation = new["paths"]?[path]?[method] else {
                    findings.append(finding(.operationRemoved, pointer, "operation \(name) removed"))
                    continue
                }
                findings += responses(name, pointer, oldOperation, newOperation, oldFields, newFields)
                findings += request(name, pointer, oldOperation, newOperation, oldFields, newFields)
            }
        }
        for (path, newItem) in (new["paths"] ?? [:]).members {
            for method in Self.methods where newItem[method] != nil && old["paths"]?[path]?[method] == nil {
                findings.append(finding(.added, JSONPointer.appending(method, to: JSONPointer.appending(path, to: "/paths")),
                                        "operation \(method.uppercased()) \(path) added"))
            }
        }
        return findings
    }

    private func finding(_ rule: DiffRule, _ pointer: String, _ message: String) -> DiffFinding {
        // Annotations go on the file as it is now: a removed part points at what still holds it.
        DiffFinding(rule: rule, file: Self.file, pointer: pointer, line: head.line(of: pointer, in: Self.file), message: message)
    }

    private func responses(_ name: String, _ pointer: String, _ old: JSONValue, _ new: JSONValue,
                           _ oldFields: FieldReader, _ newFields: FieldReader) -> [DiffFinding] {
        var findings: [DiffFinding] = []
        for (status, _) in (old["responses"] ?? [:]).members {
            let at = JSONPointer.appending(status, to: pointer + "/responses")
            guard new["responses"]?[status] != nil else {
                findings.append(finding(.responseRemoved, at, "\(name): response \(status) removed"))
                continue
            }
            let before = oldFields.bodies(of: old, response: status)
            let after = newFields.bodies(of: new, response: status)
            for (mediaType, oldBody) in before {
                guard let newBody = after[mediaType] else { continue }
                for (field, shape) in oldBody.sorted(by: { $0.key < $1.key }) where !field.isEmpty {
                    guard let now = newBody[field] else {
                        findings.append(finding(.responseFieldRemoved, at, "\(name) \(status) \(mediaType): field \(field) removed"))
                        continue
                    }
                    if shape.required && !now.required {
                        findings.append(finding(.responseFieldOptional, at, "\(name) \(status) \(mediaType): field \(field) no longer always present"))
                    }
                    if let oldTypes = shape.types, let newTypes = now.types ?? Optional(["any"]),
                       !newTypes.allSatisfy({ oldTypes.contains($0) || ($0 == "integer" && oldTypes.contains("number")) }) {
                        findings.append(finding(.responseTypeChanged, at,
                                                "\(name) \(status) \(mediaType): field \(field) may now be \(newTypes.sorted().joined(separator: "/")), was \(oldTypes.sorted().joined(separator: "/"))"))
                    }
                }
            }
        }
        return findings
    }

    private func request(_ name: String, _ pointer: String, _ old: JSONValue, _ new: JSONValue,
                         _ oldFields: FieldReader, _ newFields: FieldReader) -> [DiffFinding] {
        var findings: [DiffFinding] = []
        let before = oldFields.bodies(of: old, response: nil)
        let after = newFields.bodies(of: new, response: nil)
        let at = pointer + "/requestBody"
        let bodyWasRequired = oldFields.resolve(old["requestBody"])?["required"]?.bool == true
        if newFields.resolve(new["requestBody"])?["required"]?.bool == true, !bodyWasRequired {
            findings.append(finding(.requestFieldRequired, at, "\(name): request body now required"))
        }
        for (mediaType, newBody) in after {
            guard let oldBody = before[mediaType] else { continue }
            for (field, shape) in newBody.sorted(by: { $0.key < $1.key }) {
                let was = oldBody[field]
                // An array's items (`…/[]`) are never required: a schema that only now says what they are asks for none.
                if shape.required, !field.isEmpty, !field.hasSuffix("/[]"), was?.required != true, parentPresent(field, in: oldBody) {
                    findings.append(finding(.requestFieldRequired, at, "\(name) \(mediaType): field \(field) is now required"))
                }
                if let newTypes = shape.types, let was {
                    let oldTypes = was.types ?? ["any"]
                    let narrowed = oldTypes.filter { !(newTypes.contains($0) || ($0 == "integer" && newTypes.contains("number"))) }
                    if !narrowed.isEmpty {
                        findings.append(finding(.requestTypeNarrowed, at,
                                                "\(name) \(mediaType): field \(field.isEmpty ? "(body)" : field) no longer accepts \(narrowed.sorted().joined(separator: "/"))"))
                    }
                }
            }
        }
        return findings
    }

    /// True when the object holding `field` was always sent before (the root, or a required
    /// parent): a newly required field under an optional parent is new only with the parent.
    private func parentPresent(_ field: String, in body: [String: Field]) -> Bool {
        guard let slash = field.lastIndex(of: "/"), slash != field.startIndex else { return true }
        let parent = String(field[..<slash])
        return body[parent]?.required == true && parentPresent(parent, in: body)
    }
}

/// Reads the fields of request and response bodies, through `$ref`s.
struct FieldReader {
    let snapshot: ContractsSnapshot
    let documents: SchemaDocuments
    let generator: InstanceGenerator

    init(snapshot: ContractsSnapshot) {
        self.snapshot = snapshot
        documents = snapshot.schemaDocuments
        generator = InstanceGenerator(documents: documents)
    }

    /// An OpenAPI object that may be a `$ref` to another in the same document.
    func resolve(_ value: JSONValue?) -> JSONValue? {
        guard let value, let reference = value["$ref"]?.string, reference.hasPrefix("#") else { return value }
        return snapshot.documents[OpenAPIDiff.file].flatMap { JSONPointer.resolve(String(reference.dropFirst()).removingPercentEncoding, in: $0) }
    }

    /// The fields of each media type's body: of the response `status`, or of the request body when nil.
    func bodies(of operation: JSONValue, response status: String?) -> [String: [String: OpenAPIDiff.Field]] {
        let container: JSONValue? = if let status { resolve(operation["responses"]?[status]) } else { resolve(operation["requestBody"]) }
        guard let content = container?["content"] else { return [:] }
        var bodies: [String: [String: OpenAPIDiff.Field]] = [:]
        for (mediaType, media) in content.members {
            guard let schema = media["schema"] else { continue }
            var fields: [String: OpenAPIDiff.Field] = [:]
            collect(SchemaLocation(schema: schema, document: ContractsSnapshot.fileURI(OpenAPIDiff.file), pointer: ""),
                    at: "", required: true, into: &fields, depth: 0)
            bodies[mediaType] = fields
        }
        return bodies
    }

    private func collect(_ location: SchemaLocation, at path: String, required: Bool, into fields: inout [String: OpenAPIDiff.Field], depth: Int) {
        guard depth < 8, let location = generator.resolve(location) else { return }
        let schema = location.schema
        var types = Comparison.types(schema) ?? Comparison.values(schema).map { Set($0.values.map(Comparison.typeName)) }
        if types == nil, let branches = schema["allOf"], branches.isArray {
            for index in branches.elements.indices {
                if let branch = location.child("allOf", String(index)).flatMap(generator.resolve), let inner = Comparison.types(branch.schema) {
                    types = inner
                }
            }
        }
        fields[path] = OpenAPIDiff.Field(types: types, required: required)
        let parts = generator.objectParts(location)
        for property in parts.properties {
            collect(property.schema, at: path + "/" + property.name, required: required && parts.required.contains(property.name), into: &fields, depth: depth + 1)
        }
        if let items = location.child("items") {
            collect(items, at: path + "/[]", required: required, into: &fields, depth: depth + 1)
        }
    }
}

private extension String {
    /// `%25` and friends in a JSON pointer fragment decoded.
    var removingPercentEncoding: String {
        URIReference.percentDecoded(self)
    }
}
