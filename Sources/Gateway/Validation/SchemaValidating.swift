import BookshelfJSON
import BookshelfContracts

/// Checks a JSON value against a contract schema named by its absolute `$id` (with an optional fragment).
package protocol SchemaValidating: Sendable {
    func violations(of instance: JSONValue, against schemaID: String) -> [ContractViolation]
}
