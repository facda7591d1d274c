/// Discovery's errors: a stable code, a message naming what to fix, and whether retrying can help.
public struct DiscoveryError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// An `--upstream` entry or the variable that stands in for it is malformed.
        case invalidUpstream = "invalid-upstream"
        /// The Consul URL cannot be used.
        case invalidConsulURL = "invalid-consul-url"
        /// Consul could not be reached or answered with an error.
        case consulUnavailable = "consul-unavailable"
        /// Consul answered something that is not its documented response.
        case consulBadResponse = "consul-bad-response"
    }

    public let code: Code
    public let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var isRetryable: Bool {
        code == .consulUnavailable
    }

    public var description: String { message }
}
