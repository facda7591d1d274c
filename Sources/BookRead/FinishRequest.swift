import BookshelfJSON
import BookshelfContracts
import BookshelfServiceKit

/// The optional body of `POST /bookshelf/books/{id}/finished` (contracts/rest/finish-book-request). The
/// original API sends the whole book; no body is just as good. A body must be a JSON object whose `id`, if
/// it has one, is the path's. Its other members change nothing: the book as it was added is the one
/// finished. The gateway checks the same schema and `PathAgreement`, so a direct call gets the same answers.
package enum FinishRequest {
    package static let schemaID = "https://bookshelf.example/contracts/rest/finish-book-request/finish-book-request.schema.json"

    package static func check(body: some Collection<UInt8>, rawID: String, against contracts: ContractRegistry) throws(Problem) {
        guard !body.isEmpty else { return }
        let (value, violations) = try ContractBody.parse(body, against: schemaID, in: contracts, service: "book-read")
        guard violations.isEmpty else {
            throw ContractBody.invalid(violations, contract: "finish-book request", advice: " Send the book, or no body.")
        }
        if let problem = PathAgreement.problem(body: value, pathParameters: ["id": rawID]) { throw problem }
    }
}
