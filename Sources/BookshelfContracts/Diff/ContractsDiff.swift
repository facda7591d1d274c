import BookshelfJSON

/// The mode a contracts folder declares for its event versions, as Confluent names it.
struct DeclaredCompatibility: Sendable, Hashable {
    let mode: CompatibilityMode?
    let transitive: Bool

    /// What a folder without a declaration gets: every event version reads every older one.
    static let `default` = DeclaredCompatibility(mode: .backward, transitive: true)

    /// `BACKWARD`, `BACKWARD_TRANSITIVE`, `FORWARD…`, `FULL…` or `NONE`; nil for anything else.
    init?(confluentName: String) {
        let name = confluentName.uppercased()
        transitive = name.hasSuffix("_TRANSITIVE")
        switch name.replacing("_TRANSITIVE", with: "") {
        case "BACKWARD": mode = .backward
        case "FORWARD": mode = .forward
        case "FULL": mode = .full
        case "NONE" where !transitive: mode = nil
        default: return nil
        }
    }

    init(mode: CompatibilityMode?, transitive: Bool) {
        self.mode = mode
        self.transitive = transitive
    }

    var confluentName: String {
        guard let mode else { return "NONE" }
        return mode.rawValue.uppercased() + (transitive ? "_TRANSITIVE" : "")
    }

    /// The folder's declaration: `compatibility` in `asyncapi.json`'s `info` as
    /// `x-compatibility`, else the default.
    static func declared(in snapshot: ContractsSnapshot) -> DeclaredCompatibility {
        snapshot.documents["asyncapi.json"]?["info"]?["x-compatibility"]?.string.flatMap(DeclaredCompatibility.init(confluentName:)) ?? .default
    }
}

/// Compares a contracts folder with an earlier state of it (the `base`): what a pull request
/// changed that breaks a reader or a client already deployed.
public struct ContractsDiff: Sendable {
    public let base: ContractsSnapshot
    public let head: ContractsSnapshot

    public init(base: ContractsSnapshot, head: ContractsSnapshot) {
        self.base = base
        self.head = head
    }

    public func report(baseName: String) -> ContractsDiffReport {
        var findings: [DiffFinding] = []
        findings += eventVersions()
        findings += otherSchemas()
        findings += OpenAPIDiff(base: base, head: head).findings()
        findings += AsyncAPIDiff(base: base, head: head).findings()
        findings.sort { ($0.file, $0.line, $0.rule.rawValue, $0.message) < ($1.file, $1.line, $1.rule.rawValue, $1.message) }
        return ContractsDiffReport(base: baseName, findings: findings)
    }

    func finding(_ rule: DiffRule, _ file: String, _ pointer: String = "", _ message: String, lineIn snapshot: ContractsSnapshot? = nil) -> DiffFinding {
        let snapshot = snapshot ?? (head.documents[file] != nil ? head : base)
        return DiffFinding(rule: rule, file: file, pointer: pointer, line: snapshot.line(of: pointer, in: file), message: message)
    }

    /// `events/<type>/v<N>.schema.json` as (type, N).
    static func eventVersion(_ path: String) -> (type: String, version: Int)? {
        let parts = path.split(separator: "/")
        guard parts.count == 3, parts[0] == "events", parts[2].hasPrefix("v"), parts[2].hasSuffix(".schema.json"),
              let version = Int(parts[2].dropFirst().dropLast(".schema.json".count)) else { return nil }
        return (String(parts[1]), version)
    }

    // MARK: event versions

    private func eventVersions() -> [DiffFinding] {
        var findings: [DiffFinding] = []
        let declared = DeclaredCompatibility.declared(in: head)
        let checker = CompatibilityChecker(schemas: head.schemasByID)
        for (path, old) in base.documents where Self.eventVersion(path) != nil {
            guard let new = head.documents[path] else {
                findings.append(finding(.versionFileRemoved, path, "", "released version removed: events written with it can no longer be read", lineIn: base))
                continue
            }
            if old != new {
                findings.append(finding(.versionFileChanged, path, changedPointer(old, new),
                                        "released version edited: versions are frozen, add v\((Self.eventVersion(path)?.version ?? 0) + 1) instead"))
            }
        }
        var versionsByType: [String: [(version: Int, path: String)]] = [:]
        for path in head.documents.keys {
            if let (type, version) = Self.eventVersion(path) { versionsByType[type, default: []].append((version, path)) }
        }
        for (_, versions) in versionsByType {
            let sorted = versions.sorted { $0.version < $1.version }
            for (index, added) in sorted.enumerated() where base.documents[added.path] == nil {
                guard let new = head.documents[added.path] else { continue }
                var problems: [String] = []
                if let mode = declared.mode {
                    let earlier = declared.transitive ? Array(sorted[..<index]) : Array(sorted[..<index].suffix(1))
                    for older in earlier {
                        guard let old = head.documents[older.path] else { continue }
                        let report = checker.report(old: old, new: new, mode: mode)
                        for item in report.findings {
                            let witness = item.witness.map { "; witness \($0.document.serialized())" } ?? ""
                            problems.append("v\(older.version) → v\(added.version): \(item.incompatibility) [\(item.rule.rawValue)]\(witness)")
                        }
                    }
                }
                if problems.isEmpty {
                    findings.append(finding(.versionAdded, added.path, "",
                                            "new version, \(declared.confluentName) compatible with \(index) earlier version(s)"))
                } else {
                    for problem in problems {
                        findings.append(finding(.versionIncompatible, added.path, "", "not \(declared.confluentName) compatible: \(problem)"))
                    }
                }
            }
        }
        return findings
    }

    /// The first place two documents differ, as a JSON pointer ("" when the roots differ in kind).
    func changedPointer(_ old: JSONValue, _ new: JSONValue, at pointer: String = "") -> String {
        guard old.isObject, new.isObject else { return pointer }
        for (key, value) in new.members {
            guard let before = old[key] else { return JSONPointer.appending(key, to: pointer) }
            if before != value { return changedPointer(before, value, at: JSONPointer.appending(key, to: pointer)) }
        }
        return old.keys.first { new[$0] == nil }.map { JSONPointer.appending($0, to: pointer) } ?? pointer
    }

    // MARK: other schemas

    /// Schemas that are neither event versions nor REST bodies (REST bodies are judged by how
    /// `openapi.json` uses them): the envelope and the dead-letter headers, checked in the
    /// folder's mode against their previous state.
    private func otherSchemas() -> [DiffFinding] {
        var findings: [DiffFinding] = []
        let declared = DeclaredCompatibility.declared(in: head)
        let checker = CompatibilityChecker(schemas: head.schemasByID)
        for (path, old) in base.documents where path.hasSuffix(".schema.json") && Self.eventVersion(path) == nil {
            guard let new = head.documents[path] else {
                findings.append(finding(.schemaRemoved, path, "", "schema removed", lineIn: base))
                continue
            }
            guard !path.hasPrefix("rest/"), old != new, let mode = declared.mode else { continue }
            for item in checker.report(old: old, new: new, mode: mode).findings {
                let witness = item.witness.map { "; witness \($0.document.serialized())" } ?? ""
                findings.append(finding(.schemaIncompatible, path, item.location,
                                        "\(item.incompatibility) [\(item.rule.rawValue)]\(witness)"))
            }
        }
        for path in head.documents.keys where path.hasSuffix(".schema.json") && base.documents[path] == nil && Self.eventVersion(path) == nil {
            findings.append(finding(.added, path, "", "new schema"))
        }
        for document in ["openapi.json", "asyncapi.json"] where base.documents[document] != nil && head.documents[document] == nil {
            findings.append(finding(.documentRemoved, document, "", "\(document) removed", lineIn: base))
        }
        return findings
    }
}
