import BookshelfJSON

/// One thing `contracts diff` found: where (a file of the folder, a JSON pointer in it and the
/// line that pointer leads to), which rule, and why.
public struct DiffFinding: Sendable, Hashable {
    public let rule: DiffRule
    /// The file, relative to the contracts folder.
    public let file: String
    public let pointer: String
    public let line: Int
    public let message: String

    public var isBreaking: Bool { rule.isBreaking }

    public var json: JSONValue {
        [
            "severity": .string(isBreaking ? "breaking" : "notice"), "rule": .string(rule.rawValue), "file": .string(file),
            "location": .string("#" + pointer), "line": .number(line), "message": .string(message),
        ]
    }
}

/// The findings of a diff, ordered by file and line.
public struct ContractsDiffReport: Sendable {
    public let base: String
    public let findings: [DiffFinding]

    public var breaking: [DiffFinding] { findings.filter(\.isBreaking) }
    public var isBreaking: Bool { findings.contains(where: \.isBreaking) }
}
