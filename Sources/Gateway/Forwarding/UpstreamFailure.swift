import BookshelfHTTPClient
import BookshelfServiceKit

/// Why no upstream answered, as the client will be told.
package enum UpstreamFailure: Error, Sendable, Equatable {
    /// Discovery knows no healthy instance of the service.
    case noInstance(service: String)
    /// The last attempt failed with this error.
    case transport(service: String, HTTPClientError)

    /// The status a client gets: 503 when the service cannot be reached (nothing was sent, so any retry is
    /// safe), 504 when it did not answer in time, 502 when it answered badly. `Retry-After` only where
    /// repeating the request can help and cannot duplicate a write: reads, or writes with an Idempotency-Key.
    package func problem(retrySafe: Bool) -> Problem {
        switch self {
        case .noInstance(let service):
            return Problem(
                status: .serviceUnavailable, code: "no-upstream",
                detail: "No healthy instance of \(service) is known right now; retry shortly.",
                isRetryable: true, retryAfter: 2
            )
        case .transport(let service, let error):
            switch error.code {
            case .connectFailed:
                return Problem(
                    status: .serviceUnavailable, code: "upstream-unreachable",
                    detail: "\(service) could not be reached; the request was not delivered, so retrying is safe.",
                    isRetryable: true, retryAfter: 1
                )
            case .shutdown:
                return Problem(
                    status: .serviceUnavailable, code: "gateway-stopping",
                    detail: "The gateway is shutting down; retry against another gateway or in a moment.",
                    isRetryable: true, retryAfter: 1
                )
            case .connectTimeout:
                return Problem(
                    status: .gatewayTimeout, code: "upstream-connect-timeout",
                    detail: "\(service) did not accept a connection in time; the request was not delivered, so retrying is safe.",
                    isRetryable: true, retryAfter: 1
                )
            case .timeout:
                return Problem(
                    status: .gatewayTimeout, code: "upstream-timeout",
                    detail: "\(service) did not answer in time. "
                        + (retrySafe ? "Retrying is safe." : "It may have applied the request; send an Idempotency-Key to retry safely."),
                    isRetryable: retrySafe, retryAfter: retrySafe ? 1 : nil
                )
            case .transferFailed:
                return Problem(
                    status: .badGateway, code: "upstream-failed",
                    detail: "The exchange with \(service) broke off. "
                        + (retrySafe ? "Retrying is safe." : "It may have applied the request; send an Idempotency-Key to retry safely."),
                    isRetryable: retrySafe, retryAfter: retrySafe ? 1 : nil
                )
            case .responseTooLarge:
                return Problem(status: .badGateway, code: "upstream-response-too-large", detail: "\(service) answered with more than the gateway relays.")
            case .invalidRequest, .cancelled:
                return Problem(status: .badGateway, code: "upstream-request-failed", detail: "The gateway could not send the request to \(service): \(error.message)")
            }
        }
    }
}
