import BookshelfJSON
import BookshelfJSONSchema

extension CompatibilityChecker {
    /// The findings of `check`, each with a witness when one can be built, confirmed by the
    /// validator; with `semantic`, also documents that tell the versions apart in a direction
    /// where every rule said compatible. A version the validator cannot compile (a `$ref` to
    /// nothing, a bad pattern) still gets the rules' findings, each with no witness.
    public func report(old: JSONValue, new: JSONValue, mode: CompatibilityMode, semantic: Bool = false) -> CompatibilityReport {
        let (documents, oldRoot, newRoot) = prepare(old: old, new: new)
        let oldValidator = Self.validator(oldRoot.document, in: documents, leaving: newRoot.document)
        let newValidator = Self.validator(newRoot.document, in: documents, leaving: oldRoot.document)
        let search = oldValidator.flatMap { old in
            newValidator.map { new in
                WitnessSearch(generator: InstanceGenerator(documents: documents), old: old, new: new, oldRoot: oldRoot, newRoot: newRoot)
            }
        }
        var findings: [CompatibilityFinding] = []
        for comparison in comparisons(old: oldRoot, new: newRoot, documents: documents, mode: mode) {
            for finding in comparison.findings {
                findings.append(CompatibilityFinding(incompatibility: finding.incompatibility, witness: search?.witness(for: finding)))
            }
            if semantic && comparison.findings.isEmpty, let search {
                findings += search.counterexamples(comparison.direction)
            }
        }
        return CompatibilityReport(mode: mode, findings: findings)
    }

    /// The document registered as `key` compiled with every other document but `other`, so
    /// that two versions claiming the same `$id` never meet in one registry; nil when it does not compile.
    private static func validator(_ key: String, in documents: SchemaDocuments, leaving other: String) -> JSONSchema? {
        var registry = SchemaRegistry()
        for (id, document) in documents.byID where id != other && id != key {
            _ = try? registry.register(document, uri: id)
        }
        guard let document = documents.byID[key] else { return nil }
        return try? registry.compile(document, uri: key)
    }
}

/// Looks for witnesses: documents built from the writer's schema with a candidate value at the
/// finding's place, kept only when the writer's validator accepts them and the reader's refuses
/// them there.
struct WitnessSearch {
    let generator: InstanceGenerator
    let old: JSONSchema
    let new: JSONSchema
    let oldRoot: SchemaLocation
    let newRoot: SchemaLocation
    /// A bound on the documents tried for one `--semantic` direction.
    private static let semanticBudget = 4000

    private func sides(_ direction: Incompatibility.Direction) -> (writer: SchemaLocation, accepts: JSONSchema, refuses: JSONSchema, accepted: Witness.Side, rejected: Witness.Side) {
        direction == .backward ? (oldRoot, old, new, .old, .new) : (newRoot, new, old, .new, .old)
    }

    /// The generator for documents the writer of `direction` accepts, filling in what the reader requires.
    private func generator(_ direction: Incompatibility.Direction) -> InstanceGenerator {
        var generator = generator
        generator.alsoInclude = InstanceGenerator.requiredNames(in: (direction == .backward ? newRoot : oldRoot).schema)
        return generator
    }

    func witness(for finding: RuleFinding) -> Witness? {
        let (writer, accepts, refuses, accepted, rejected) = sides(finding.incompatibility.direction)
        let generator = generator(finding.incompatibility.direction)
        let path = finding.incompatibility.instancePath
        let place = path.reduce("") { JSONPointer.appending($1, to: $0) }
        // What the reader already refuses in the plainest document with something at this place:
        // a witness must be refused for more than that, at the finding's place.
        let baseline = generator.document(in: writer, path: path[...], hint: .minimal(type: nil))
        let baselineErrors = Set((baseline.map { refuses.validate($0).errors } ?? []).map { $0.instanceLocation + " " + $0.keywordLocation })
        var tried: Set<String> = []
        for hint in finding.candidates + WitnessSamples.pool {
            guard let document = generator.document(in: writer, path: path[...], hint: hint),
                  tried.insert(document.serialized(sortedKeys: true)).inserted,
                  accepts.isValid(document), !refuses.isValid(document) else { continue }
            let errors = refuses.validate(document).errors.filter {
                document == baseline || !baselineErrors.contains($0.instanceLocation + " " + $0.keywordLocation)
            }
            let refusedThere = errors.contains { $0.instanceLocation.hasPrefix(place) || place.hasPrefix($0.instanceLocation) }
            if refusedThere { return Witness(document: document, acceptedBy: accepted, rejectedBy: rejected) }
        }
        return nil
    }

    /// Documents the writer accepts and the reader refuses, searched at every place the writer's
    /// schema describes; one finding per reader keyword that refuses, at most three.
    func counterexamples(_ direction: Incompatibility.Direction) -> [CompatibilityFinding] {
        let (writer, accepts, refuses, accepted, rejected) = sides(direction)
        let generator = generator(direction)
        var found: [CompatibilityFinding] = []
        var keywords: Set<String> = []
        var tried: Set<String> = []
        var budget = Self.semanticBudget
        for path in places(in: writer, at: [], depth: 0) {
            for hint in WitnessSamples.pool + WitnessSamples.typeNames.flatMap(WitnessSamples.values(ofType:)) {
                guard budget > 0, found.count < 3 else { return found }
                guard let document = generator.document(in: writer, path: path[...], hint: hint),
                      tried.insert(document.serialized(sortedKeys: true)).inserted else { continue }
                budget -= 1
                guard accepts.isValid(document), !refuses.isValid(document),
                      let error = refuses.validate(document).errors.first,
                      keywords.insert(error.keywordLocation).inserted else { continue }
                let incompatibility = Incompatibility(
                    direction: direction, location: error.keywordLocation, rule: .semanticCounterexample,
                    reason: "the rules found no difference, but the \(rejected.rawValue) schema refuses this document at \"\(error.instanceLocation)\": \(error.message)",
                    instancePath: path)
                found.append(CompatibilityFinding(incompatibility: incompatibility,
                                                  witness: Witness(document: document, acceptedBy: accepted, rejectedBy: rejected)))
            }
        }
        return found
    }

    /// The instance paths the writer's schema describes: the root, each property, the first items.
    private func places(in location: SchemaLocation, at path: [String], depth: Int) -> [[String]] {
        guard depth < 5, let location = generator.resolve(location) else { return [path] }
        var result = [path]
        for property in generator.objectParts(location).properties {
            result += places(in: property.schema, at: path + [property.name], depth: depth + 1)
        }
        let prefix = location.schema["prefixItems"]?.count ?? 0
        if prefix > 0 || location.schema["items"] != nil {
            for position in 0...prefix {
                result += places(in: generator.itemSchema(location, at: position), at: path + [String(position)], depth: depth + 1)
            }
        }
        return result
    }
}
