import FoundationEssentials
import HTTPTypes
import Hummingbird
import NIOCore

extension Request {
    /// The body of a JSON request: 415 unless `Content-Type` is `application/json` or a `+json` type,
    /// 413 when it exceeds the context's limit (checked against `Content-Length` before reading).
    public mutating func jsonBody(context: ServiceRequestContext) async throws -> ByteBuffer {
        let mediaType = headers[.contentType]?
            .split(separator: ";", maxSplits: 1).first?
            .trimmingSpacesAndTabs().lowercased() ?? ""
        guard mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json")) else {
            throw Problem(
                status: .unsupportedMediaType, code: "unsupported-media-type",
                detail: mediaType.isEmpty
                    ? "Send the body as JSON with Content-Type: application/json."
                    : "Content-Type '\(mediaType)' is not accepted; send application/json."
            )
        }
        if let length = headers[.contentLength].flatMap(Int.init), length > context.maxUploadSize {
            throw Self.tooLarge(limit: context.maxUploadSize)
        }
        do {
            return try await collectBody(upTo: context.maxUploadSize)
        } catch is NIOTooManyBytesError {
            throw Self.tooLarge(limit: context.maxUploadSize)
        }
    }

    private static func tooLarge(limit: Int) -> Problem {
        Problem(status: .contentTooLarge, code: "body-too-large", detail: "The body exceeds \(limit) bytes.")
    }
}

/// Rejects a declared `Content-Length` above the limit before any handler reads the body.
package struct BodyLimitMiddleware: RouterMiddleware {
    package typealias Context = ServiceRequestContext
    let limit: Int

    package init(limit: Int) {
        self.limit = limit
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.maxUploadSize = limit
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw Problem(status: .contentTooLarge, code: "body-too-large", detail: "The body exceeds \(limit) bytes.")
        }
        return try await next(request, context)
    }
}

extension StringProtocol {
    /// Without the spaces and tabs at either end: the optional white space around HTTP list elements
    /// (RFC 9110 OWS) and around comma-separated flag values.
    package func trimmingSpacesAndTabs() -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isBlank($0) }) else { return "" }
        let last = lastIndex(where: { !isBlank($0) })!
        return String(self[first...last])
    }
}
