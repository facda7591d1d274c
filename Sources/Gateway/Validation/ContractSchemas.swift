import BookshelfJSON
import BookshelfContracts
import BookshelfJSONSchema

/// The schemas the route table names, compiled once at start-up from the contracts folder, so a request
/// is checked by the same draft 2020-12 validator the contract tests use.
package final class ContractSchemas: SchemaValidating {
    private let schemas: [String: JSONSchema]

    package init(directory: String, routes: RouteTable) throws(GatewayError) {
        var registry = SchemaRegistry()
        do {
            try registry.registerDirectory(directory)
        } catch {
            throw GatewayError(.invalidContract, "cannot load the schemas in \(directory): \(error)")
        }
        let identifiers = Set(routes.operations.flatMap { operation in
            (operation.pathParameters + operation.queryParameters + operation.headerParameters).compactMap(\.schemaID)
                + [operation.body?.schemaID].compactMap { $0 }
        })
        var schemas: [String: JSONSchema] = [:]
        for id in identifiers {
            do {
                schemas[id] = try registry.schema(id: id)
            } catch {
                throw GatewayError(.invalidContract, "openapi.json names schema \(id), which does not compile: \(error)")
            }
        }
        self.schemas = schemas
    }

    package func violations(of instance: JSONValue, against schemaID: String) -> [ContractViolation] {
        guard let schema = schemas[schemaID] else {
            // Only reachable if the route table and this set disagree, which init rules out.
            return [ContractViolation(instanceLocation: "", keywordLocation: "", message: "no compiled schema \(schemaID)")]
        }
        return schema.validate(instance).errors.map {
            ContractViolation(instanceLocation: $0.instanceLocation, keywordLocation: $0.keywordLocation, message: $0.message)
        }
    }
}
