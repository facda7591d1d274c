import BookshelfJSON

/// A document one schema version accepts and the other refuses: the proof of a finding.
public struct Witness: Sendable, Hashable {
    public enum Side: String, Sendable, Hashable {
        case old, new
    }

    public let document: JSONValue
    public let acceptedBy: Side
    public let rejectedBy: Side

    public var json: JSONValue {
        ["document": document, "acceptedBy": .string(acceptedBy.rawValue), "rejectedBy": .string(rejectedBy.rawValue)]
    }
}

/// One finding of a compatibility check: a rule's reason (or, with `--semantic`, a
/// counterexample the rules missed) and the witness that proves it, when one was found.
public struct CompatibilityFinding: Sendable, Hashable {
    public let incompatibility: Incompatibility
    /// Nil when the search found no document that proves the finding: the rules err on the side
    /// of "incompatible", so such a finding may be a false alarm.
    public let witness: Witness?

    public var direction: Incompatibility.Direction { incompatibility.direction }
    public var location: String { incompatibility.location }
    public var rule: CompatibilityRule { incompatibility.rule }
    public var message: String { incompatibility.reason }

    public var json: JSONValue {
        [
            "direction": .string(direction.rawValue), "location": .string("#" + location), "rule": .string(rule.rawValue),
            "message": .string(message), "witness": witness?.json ?? .null,
        ]
    }

    /// Today's line, `<direction> #<pointer>: <reason>`, then the witness on a line of its own.
    public var lines: [String] {
        let witnessLine = witness.map {
            "  witness (\($0.acceptedBy.rawValue) accepts, \($0.rejectedBy.rawValue) refuses): \($0.document.serialized())"
        } ?? "  witness: none found"
        return [incompatibility.description, witnessLine]
    }
}

/// The result of checking two schema versions.
public struct CompatibilityReport: Sendable {
    public let mode: CompatibilityMode
    public let findings: [CompatibilityFinding]

    public var compatible: Bool { findings.isEmpty }

    /// `{"compatible", "mode", "findings"}`, the shape of `compat --output json`.
    public var json: JSONValue {
        ["compatible": .bool(compatible), "mode": .string(mode.rawValue), "findings": .array(findings.map(\.json))]
    }
}
