import BookshelfJSON
import BookshelfContracts
import HTTPTypes
import BookshelfServiceKit

/// What the gateway checks before a request may reach a service: the contract's path parameters, media
/// type and body. Pure, so every rejection can be tested without a socket.
package struct RequestCheck: Sendable {
    let validator: any SchemaValidating

    package init(validator: any SchemaValidating) {
        self.validator = validator
    }

    /// A problem for a request that cannot follow its contract (its `errors` name each violation), or nil
    /// when the path parameters are valid.
    package func pathParameters(_ values: [String: String], of operation: RouteTable.Operation) -> Problem? {
        var violations: [ContractViolation] = []
        for parameter in operation.pathParameters {
            guard let schemaID = parameter.schemaID else { continue }
            let value = values[parameter.name] ?? ""
            violations += validator.violations(of: .string(value), against: schemaID).map { violation in
                ContractViolation(
                    instanceLocation: "/path/\(parameter.name)" + violation.instanceLocation,
                    keywordLocation: violation.keywordLocation,
                    message: violation.message
                )
            }
        }
        guard !violations.isEmpty else { return nil }
        let names = operation.pathParameters.map(\.name).joined(separator: ", ")
        return .badRequest(
            code: "invalid-path-parameter", "The path parameter \(names) does not follow the contract of \(operation.method) \(operation.pathTemplate).",
            errors: violations
        )
    }

    /// The media type a body must have before it is read.
    package func mediaType(_ contentType: String?, of operation: RouteTable.Operation, bodyLength: Int?) -> Problem? {
        guard let body = operation.body else { return nil }
        let mediaType = contentType?.split(separator: ";", maxSplits: 1).first
            .map { String($0.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()).lowercased() } ?? ""
        // An optional body of unknown length (chunked) may be empty: the service refuses one sent without a type.
        if mediaType.isEmpty && (bodyLength ?? 0) == 0 && !body.required { return nil }
        guard body.mediaTypes.contains(mediaType) else {
            let accepted = body.mediaTypes.joined(separator: " or ")
            return Problem(
                status: .unsupportedMediaType, code: "unsupported-media-type",
                detail: mediaType.isEmpty
                    ? "Send the body with Content-Type: \(accepted)."
                    : "Content-Type '\(mediaType)' is not accepted here; send \(accepted)."
            )
        }
        return nil
    }

    /// The body, parsed and checked against the operation's schema, and against the path: a top-level
    /// member named like a path parameter must equal it (`PathAgreement`, which the services apply too).
    package func body(_ bytes: [UInt8], of operation: RouteTable.Operation, pathParameters: [String: String] = [:]) -> Problem? {
        guard let body = operation.body else { return nil }
        if bytes.isEmpty {
            guard body.required else { return nil }
            return .badRequest(code: "missing-body", "\(operation.method) \(operation.pathTemplate) needs a JSON body.")
        }
        let document: JSONValue
        do {
            document = try JSONValue(parsing: bytes, rejectingDuplicateKeys: true)
        } catch {
            return .badRequest(
                code: "malformed-json", "The body is not JSON: \(error.message) (line \(error.line), column \(error.column))."
            )
        }
        guard let schemaID = body.schemaID else { return nil }
        let violations = validator.violations(of: document, against: schemaID)
        guard !violations.isEmpty else { return PathAgreement.problem(body: document, pathParameters: pathParameters) }
        return .badRequest(code: "invalid-body", "The body does not follow its contract (\(schemaID)); see errors.", errors: violations)
    }
}
