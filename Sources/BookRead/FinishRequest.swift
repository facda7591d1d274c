import BookshelfJSON
import Contracts
import ServiceKit

/// The optional body of `POST /bookshelf/books/{id}/finished` (contracts/rest/finish-book-request). The
/// original API sends the whole book; no body is just as good. A body must be a JSON object whose `id`, if
/// it has one, is the path's. Its other members change nothing: the book as it was added is the one
/// finished. The gateway checks the same schema and `PathAgreement`, so a direct call gets the same answers.
public enum FinishRequest {
    public static let schemaID = "https://bookshelf.example/contracts/rest/finish-book-request/finish-book-request.schema.json"

    public static func check(body: some Collection<UInt8>, rawID: String, against contracts: ContractRegistry) throws(Problem) {
        guard !body.isEmpty else { return }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: body, rejectingDuplicateKeys: true)
        } catch {
            throw Problem.badRequest(code: "malformed-json", "The body is not valid JSON: \(error.message) (line \(error.line), column \(error.column)).")
        }
        let violations: [ContractViolation]
        do {
            violations = try contracts.violations(of: value, against: schemaID)
        } catch {
            throw Problem(status: .internalServerError, code: "contract-missing", detail: "book-read cannot check bodies: \(error.message)")
        }
        guard violations.isEmpty else {
            let described = violations.map { "\($0.instanceLocation.isEmpty ? "/" : $0.instanceLocation): \($0.message)" }
            throw Problem.badRequest(
                code: "invalid-body",
                "The body does not match the finish-book request contract: " + described.joined(separator: "; ") + ". Send the book, or no body.",
                errors: violations
            )
        }
        if let problem = PathAgreement.problem(body: value, pathParameters: ["id": rawID]) { throw problem }
    }
}
