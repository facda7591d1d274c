import HTTPTypes
import Hummingbird
import Logging

extension HTTPField.Name {
    public static let requestID = HTTPField.Name("X-Request-Id")!
}

/// Takes the caller's `X-Request-Id` (1–128 visible ASCII characters, so it is safe to log and echo) or
/// makes one, puts it in the request's log metadata and echoes it on the response.
package struct RequestIDMiddleware: RouterMiddleware {
    package typealias Context = ServiceRequestContext

    package init() {}

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = request.headers[.requestID].flatMap(Self.usable) ?? RequestIDGenerator.next()
        context.requestID = id
        context.logger[metadataKey: "request_id"] = .string(id)
        var response = try await next(request, context)
        response.headers[.requestID] = id
        return response
    }

    package static func usable(_ value: String) -> String? {
        guard (1...128).contains(value.utf8.count), value.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return value
    }
}
