import BookshelfContracts
import BookshelfJSON

/// What a service sent does not match its contract: thrown by the checks below, with every violation, so a
/// test fails saying which member broke which keyword. Works in any test framework: `try` it.
public struct ContractMismatch: Error, Sendable, CustomStringConvertible {
    /// What was checked: "the event", "the body of …".
    public let subject: String
    /// The contract's `$id`.
    public let contract: String
    public let violations: [ContractViolation]
    /// Set when the text was not JSON, or the contract could not be found.
    public let reason: String?

    public var description: String {
        if let reason { return "\(subject) cannot be checked against \(contract): \(reason)" }
        return "\(subject) does not conform to \(contract):\n" + violations.map { "  \($0)" }.joined(separator: "\n")
    }
}

extension ContractRegistry {
    /// Throws unless `value` (a record value as a producer wrote it) is an event of these contracts: the
    /// envelope, and its `data` against the schema version its `dataschema` names.
    public func expectEvent(_ value: some Collection<UInt8>) throws(ContractMismatch) {
        let envelope = envelopeID
        let json = try Self.parse(value, subject: "the event", contract: envelope)
        let found = violations(ofEvent: json)
        guard found.isEmpty else {
            throw ContractMismatch(subject: "the \(json["type"]?.string ?? "untyped") event", contract: envelope, violations: found, reason: nil)
        }
    }

    /// Throws unless `body` (an HTTP request or response body) is valid against the schema whose `$id` is
    /// `schemaID` (a fragment may point into it: `…/review.schema.json#/$defs/uuid`).
    public func expectBody(_ body: some Collection<UInt8>, conformsTo schemaID: String) throws(ContractMismatch) {
        let json = try Self.parse(body, subject: "the body", contract: schemaID)
        let found: [ContractViolation]
        do {
            found = try violations(of: json, against: schemaID)
        } catch {
            throw ContractMismatch(subject: "the body", contract: schemaID, violations: [], reason: error.message)
        }
        guard found.isEmpty else { throw ContractMismatch(subject: "the body", contract: schemaID, violations: found, reason: nil) }
    }

    private static func parse(_ text: some Collection<UInt8>, subject: String, contract: String) throws(ContractMismatch) -> JSONValue {
        do {
            return try JSONValue(parsing: text, rejectingDuplicateKeys: true)
        } catch {
            throw ContractMismatch(subject: subject, contract: contract, violations: [], reason: "it is not JSON (\(error.message))")
        }
    }
}
