import HTTPTypes
import Hummingbird
import Logging

/// Turns every error below it into RFC 9457 problem+json. Errors written for users (`ServiceError`) keep
/// their message; Hummingbird's own errors keep their status; anything else is a 500 whose details go to
/// the log only, so no internals leak.
package struct ProblemMiddleware: RouterMiddleware {
    package typealias Context = ServiceRequestContext

    /// The app's namespace of problem types (``Problem/type(in:)``).
    let namespace: String

    package init(namespace: String) {
        self.namespace = namespace
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let problem = Self.problem(for: error, context: context)
            return problem.response(instance: request.uri.path, namespace: namespace)
        }
    }

    static func problem(for error: any Error, context: Context) -> Problem {
        switch error {
        case let error as any ServiceError:
            let problem = Problem(error)
            if problem.status.kind == .serverError {
                // A retryable failure (broker briefly away, view still replaying) is expected operation, not a fault.
                context.logger.log(
                    level: problem.isRetryable ? .notice : .error, "request failed",
                    metadata: ["code": .string(problem.code), "error": .string(problem.detail)]
                )
            }
            return problem
        case let error as any HTTPResponseError:
            return Problem(status: error.status, code: code(for: error.status), detail: detail(for: error.status))
        default:
            context.logger.error("unexpected error", metadata: ["error": .string(String(reflecting: error))])
            return Problem(status: .internalServerError, code: "internal", detail: "The service failed to answer; the error is logged under this request id.")
        }
    }

    private static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "not-found"
        case .contentTooLarge: "body-too-large"
        case .unsupportedMediaType: "unsupported-media-type"
        case .badRequest: "bad-request"
        default: "http-\(status.code)"
        }
    }

    private static func detail(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "No resource at this path."
        case .contentTooLarge: "The request body is larger than this service accepts."
        case .badRequest: "The request could not be read."
        default: status.reasonPhrase
        }
    }
}
