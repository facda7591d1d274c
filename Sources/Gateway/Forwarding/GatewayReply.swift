import BookshelfJSON
import HTTPClient
import HTTPTypes
import NIOCore
import ServiceKit

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

    /// problem+json with the headers `Problem.response(instance:)` gives it.
    init(problem: Problem, instance: String) {
        self.init(problem: problem, body: problem.body(instance: instance))
    }

    private init(problem: Problem, body: some Collection<UInt8>) {
        var headers: HTTPFields = [.contentType: Problem.contentType]
        if let retryAfter = problem.retryAfter { headers[.retryAfter] = String(retryAfter) }
        if !problem.allow.isEmpty { headers[.allow] = problem.allow.map(\.rawValue).joined(separator: ", ") }
        self.init(status: problem.status, headers: headers, body: ByteBuffer(bytes: body))
    }

    /// A contract violation: problem+json with the violations as RFC 9457 `errors`, which `Problem` alone cannot carry.
    init(contractProblem: ContractProblem, instance: String) {
        let plain = contractProblem.problem.body(instance: instance)
        guard !contractProblem.violations.isEmpty, let object = try? JSONValue(parsing: plain), object.isObject else {
            self.init(problem: contractProblem.problem, body: plain)
            return
        }
        let errors = JSONValue.array(contractProblem.violations.map { violation in
            JSONValue.object([
                ("instanceLocation", .string(violation.instanceLocation)),
                ("keywordLocation", .string(violation.keywordLocation)),
                ("message", .string(violation.message)),
            ])
        })
        let body = JSONValue.object(object.members.map { ($0, $1) } + [("errors", errors)])
        self.init(problem: contractProblem.problem, body: body.serializedBytes(sortedKeys: true))
    }
}
