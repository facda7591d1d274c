/// Errors of the gateway's own set-up (not of a request): a bad contract folder or configuration.
public struct GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// openapi.json or a schema it names cannot be used.
        case invalidContract = "invalid-contract"
        /// A flag or environment variable has an unusable value.
        case invalidConfiguration = "invalid-configuration"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var isRetryable: Bool { false }

    public var description: String { message }
}
