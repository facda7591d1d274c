import BookshelfJSON
import BookshelfContracts

/// A request body read against its REST contract, the way every service reads one: the same parser and
/// validator as the gateway, and the same answers.
public enum ContractBody {
    /// The body parsed (duplicate keys refused) and its violations of `schemaID`: 400 `malformed-json` for
    /// text that is not JSON, 500 `contract-missing` when the service's contracts folder lacks the schema
    /// (the service's fault, not the client's).
    public static func parse(
        _ body: some Collection<UInt8>, against schemaID: String, in contracts: ContractRegistry, service: String
    ) throws(Problem) -> (value: JSONValue, violations: [ContractViolation]) {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: body, rejectingDuplicateKeys: true)
        } catch {
            throw Problem.badRequest(code: "malformed-json", "The body is not valid JSON: \(error.message) (line \(error.line), column \(error.column)).")
        }
        do {
            return (value, try contracts.violations(of: value, against: schemaID))
        } catch {
            throw Problem(status: .internalServerError, code: "contract-missing", detail: "\(service) cannot check bodies: \(error.message)")
        }
    }

    /// 400 `invalid-body` with every violation in `errors`, the detail naming each by its JSON pointer.
    public static func invalid(_ violations: [ContractViolation], contract: String, advice: String) -> Problem {
        let described = violations.map { "\($0.instanceLocation.isEmpty ? "/" : $0.instanceLocation): \($0.message)" }
        return Problem.badRequest(
            code: "invalid-body",
            "The body does not match the \(contract) contract: " + described.joined(separator: "; ") + "." + advice,
            errors: violations
        )
    }
}
