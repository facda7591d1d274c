import BookshelfJSON
import BookshelfContracts
import HTTPTypes
import BookshelfServiceKit

extension RequestCheck {
    /// The query parameters and headers the operation declares, each checked against its schema: 400 with
    /// every violation in `errors` (a missing required one included), or nil. `query` gives a parameter's
    /// first value, percent-decoded, as the services read it.
    package func parameters(query: (String) -> String?, headers: HTTPFields, of operation: RouteTable.Operation) -> Problem? {
        var violations: [ContractViolation] = []
        for (location, parameters) in [("query", operation.queryParameters), ("header", operation.headerParameters)] {
            for parameter in parameters {
                // Parameter names here hold no "/" or "~", which a pointer would escape.
                let pointer = "/\(location)/\(parameter.name)"
                let value = location == "query" ? query(parameter.name) : HTTPField.Name(parameter.name).flatMap { headers[$0] }
                guard let value else {
                    if parameter.required {
                        violations.append(ContractViolation(instanceLocation: pointer, keywordLocation: "", message: "the \(location) parameter \(parameter.name) is required"))
                    }
                    continue
                }
                guard let schemaID = parameter.schemaID else { continue }
                violations += validator.violations(of: Self.instance(value, integer: parameter.isInteger), against: schemaID).map { violation in
                    ContractViolation(instanceLocation: pointer + violation.instanceLocation, keywordLocation: violation.keywordLocation, message: violation.message)
                }
            }
        }
        guard !violations.isEmpty else { return nil }
        let names = Set(violations.map { $0.instanceLocation.split(separator: "/").dropFirst().first.map(String.init) ?? "" }).sorted()
        return .badRequest(
            code: "invalid-parameter",
            "The \(names.joined(separator: ", ")) parameter does not follow the contract of \(operation.method) \(operation.pathTemplate); see errors.",
            errors: violations
        )
    }

    /// The JSON value a parameter's text stands for: an integer when its schema asks for one and the text is
    /// decimal digits (so `+5`, `5.0` and ` 5` stay text and fail the type), else the text itself.
    static func instance(_ text: String, integer: Bool) -> JSONValue {
        guard integer, !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return .string(text) }
        if let value = Int(text) { return .number(value) }
        return Double(text).map { .number($0) } ?? .string(text)
    }
}
