import BookshelfApp
import BookshelfJSON
import BookshelfHTTPClient
import HTTPTypes
import NIOCore
import BookshelfServiceKit

/// An answer the forwarding path writes: a status, the end-to-end headers and the whole body. The headers
/// every answer carries (length, request id, date, server) are added when it is written.
struct GatewayReply: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: ByteBuffer

    init(status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The upstream's answer as the client gets it.
    init(upstream: HTTPClient.Response) {
        self.init(
            status: HTTPResponse.Status(code: upstream.status),
            headers: HeaderPolicy.clientResponseHeaders(upstream.headers),
            body: ByteBuffer(bytes: upstream.body)
        )
    }

    /// problem+json with the headers `Problem.response(instance:namespace:)` gives it, in the app's namespace.
    init(problem: Problem, instance: String) {
        var headers: HTTPFields = [.contentType: Problem.contentType]
        if let retryAfter = problem.retryAfter { headers[.retryAfter] = String(retryAfter) }
        if !problem.allow.isEmpty { headers[.allow] = problem.allow.map(\.rawValue).joined(separator: ", ") }
        self.init(status: problem.status, headers: headers, body: ByteBuffer(bytes: problem.body(instance: instance, namespace: BookshelfServices.problemNamespace)))
    }
}
