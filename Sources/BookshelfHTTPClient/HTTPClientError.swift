/// Why an exchange produced no response. The gateway maps `code` to a status; `requestMayHaveBeenSent` decides
/// whether another instance may be tried without risking a duplicate.
public struct HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The URL or method cannot be sent as given.
        case invalidRequest
        /// No connection: refused, unreachable, or the name did not resolve. Nothing was sent.
        case connectFailed
        /// No connection within the connect timeout. Nothing was sent.
        case connectTimeout
        /// Connected, but the whole exchange outlasted its timeout.
        case timeout
        /// The connection broke or the peer did not speak HTTP.
        case transferFailed
        /// The response body exceeded the configured limit.
        case responseTooLarge
        /// The calling task was cancelled.
        case cancelled
        /// The client was shut down before the exchange finished.
        case shutdown
    }

    public let code: Code
    public let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var requestMayHaveBeenSent: Bool {
        switch code {
        case .invalidRequest, .connectFailed, .connectTimeout, .shutdown: false
        case .timeout, .transferFailed, .responseTooLarge, .cancelled: true
        }
    }

    /// Whether sending the same request again (possibly elsewhere) can succeed.
    public var isRetryable: Bool {
        switch code {
        case .connectFailed, .connectTimeout, .timeout, .transferFailed: true
        case .invalidRequest, .responseTooLarge, .cancelled, .shutdown: false
        }
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
