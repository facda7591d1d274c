/// Errors of the gateway's own set-up (not of a request): a bad contract folder or configuration.
package struct GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: String, Sendable {
        /// openapi.json or a schema it names cannot be used.
        case invalidContract = "invalid-contract"
        /// A flag or environment variable has an unusable value.
        case invalidConfiguration = "invalid-configuration"
    }

    package let code: Code
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var isRetryable: Bool { false }

    package var description: String { message }
}
