import BookshelfJSON
import BookshelfContracts
import FoundationEssentials
import HTTPTypes
import Hummingbird

/// An error as a value: a stable code, a message a person can act on, and whether a retry can help.
/// Every layer throws these; the HTTP edge turns them into problem+json.
public protocol ServiceError: Error, Sendable {
    var code: String { get }
    var message: String { get }
    var isRetryable: Bool { get }
}

/// An RFC 9457 problem details response. `code` and `retryable` are extension members; `type` is a
/// stable URN per code so clients can branch on it without parsing `detail`: the app's namespace followed by
/// the code (`urn:reviews:problem:not-found` in the namespace `urn:reviews:problem:`). The namespace is the
/// app's, given where the problem is written (``ServiceDefaults/problemNamespace``, ``ServiceRoutes``), so
/// the same problem thrown by kit code is typed in whichever app it reaches.
public struct Problem: Error, Sendable, Equatable, ServiceError {
    public var status: HTTPResponse.Status
    public var code: String
    public var title: String
    public var detail: String
    public var isRetryable: Bool
    /// Seconds a client should wait before retrying (`Retry-After`).
    public var retryAfter: Int?
    /// Methods the resource supports (`Allow`, for 405).
    public var allow: [HTTPRequest.Method]
    /// Extra members of the problem object, as text.
    public var extensions: [String: String]
    /// For a body that fails its contract: each violation, rendered as the `errors` member
    /// (contracts/rest/problem: an array of `instanceLocation`, `keywordLocation`, `message`).
    public var errors: [ContractViolation]

    public init(
        status: HTTPResponse.Status, code: String, title: String? = nil, detail: String,
        isRetryable: Bool = false, retryAfter: Int? = nil, allow: [HTTPRequest.Method] = [],
        extensions: [String: String] = [:], errors: [ContractViolation] = []
    ) {
        self.status = status
        self.code = code
        self.title = title ?? status.reasonPhrase
        self.detail = detail
        self.isRetryable = isRetryable
        self.retryAfter = retryAfter
        self.allow = allow
        self.extensions = extensions
        self.errors = errors
    }

    public var message: String { detail }

    public static let contentType = "application/problem+json"

    public static func badRequest(code: String, _ detail: String, errors: [ContractViolation] = []) -> Problem {
        Problem(status: .badRequest, code: code, detail: detail, errors: errors)
    }

    public static func notFound(_ detail: String) -> Problem {
        Problem(status: .notFound, code: "not-found", detail: detail)
    }

    public static func unavailable(code: String, _ detail: String, retryAfter: Int = 1) -> Problem {
        Problem(status: .serviceUnavailable, code: code, detail: detail, isRetryable: true, retryAfter: retryAfter)
    }

    /// The problem a `ServiceError` that reached the edge stands for: retryable errors are 503 with
    /// `Retry-After`, others 500; the message is the error's own, which is written for users.
    public init(_ error: any ServiceError) {
        if let problem = error as? Problem {
            self = problem
        } else if error.isRetryable {
            self = .unavailable(code: error.code, error.message)
        } else {
            self.init(status: .internalServerError, code: error.code, detail: error.message)
        }
    }

    /// The problem's `type`: `namespace` followed by the code.
    public func type(in namespace: String) -> String {
        namespace + code
    }

    /// The JSON body: `type`, `title`, `status`, `detail`, `instance`, then `code`, `retryable`, `errors` and extensions.
    public func body(instance: String?, namespace: String) -> Data {
        var members: [(String, JSONValue)] = extensions.map { ($0.key, .string($0.value)) }
        if !errors.isEmpty {
            members.append(("errors", .array(errors.map { violation in
                .object([
                    ("instanceLocation", .string(violation.instanceLocation)),
                    ("keywordLocation", .string(violation.keywordLocation)),
                    ("message", .string(violation.message)),
                ])
            })))
        }
        members += [
            ("type", .string(type(in: namespace))), ("title", .string(title)), ("status", .number(status.code)),
            ("detail", .string(detail)), ("code", .string(code)), ("retryable", .bool(isRetryable)),
        ]
        if let instance { members.append(("instance", .string(instance))) }
        return Data(JSONValue.object(members).serializedBytes(sortedKeys: true))
    }

    public func response(instance: String?, namespace: String) -> Response {
        var headers: HTTPFields = [.contentType: Self.contentType]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if !allow.isEmpty { headers[.allow] = allow.map(\.rawValue).joined(separator: ", ") }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body(instance: instance, namespace: namespace))))
    }
}
