import BookshelfJSON
import FoundationEssentials
import HTTPTypes
import Hummingbird

/// A router with what every service shares already in place: the request id, metrics and problem+json
/// middleware, the body limit, `/health/live`, `/health/ready` and `/metrics`. It remembers each path's
/// methods so a known path asked with another method answers 405 with `Allow` instead of 404.
public final class ServiceRoutes {
    public let router: Router<ServiceRequestContext>
    private var methods: [String: [HTTPRequest.Method]] = [:]
    private var order: [String] = []

    /// Methods a client might reasonably send; each known path answers 405 for the ones it lacks.
    static let answeredMethods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]

    public init(metrics: ServiceMetrics, readiness: Readiness, bodyLimit: Int = ServiceRequestContext.defaultBodyLimit) {
        router = Router(context: ServiceRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: BodyLimitMiddleware(limit: bodyLimit))

        on("/health/live", method: .get) { _, _ in
            Self.json(["status": "live"], status: .ok)
        }
        on("/health/ready", method: .get) { request, _ in
            let conditions = readiness.snapshot
            let checks = JSONValue.object(conditions.map { ($0.name, .string(($0.isMet ? "ok: " : "waiting: ") + $0.detail)) })
            let notices = readiness.noticesNow
            if conditions.allSatisfy(\.isMet) {
                var body: [(String, JSONValue)] = [("status", "ready"), ("checks", checks)]
                body += notices.map { ($0.name, .array($0.items.map(JSONValue.string))) }
                return Self.json(.object(body), status: .ok)
            }
            let waiting = conditions.filter { !$0.isMet }
            var problem = Problem.unavailable(
                code: "not-ready",
                "Not ready yet, waiting for: " + waiting.map { "\($0.name) (\($0.detail))" }.joined(separator: ", ") + "."
            )
            problem.extensions = ["waiting": waiting.map(\.name).joined(separator: ",")]
            for notice in notices { problem.extensions[notice.name] = notice.items.joined(separator: ", ") }
            return problem.response(instance: request.uri.path)
        }
        on("/metrics", method: .get) { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition()))
            )
        }
    }

    /// Adds a route. Paths use Hummingbird's syntax (`/bookshelf/books/:id`).
    public func on(
        _ path: String, method: HTTPRequest.Method,
        use handler: @escaping @Sendable (Request, ServiceRequestContext) async throws -> Response
    ) {
        router.on(RouterPath(path), method: method, use: handler)
        if methods[path] == nil { order.append(path) }
        methods[path, default: []].append(method)
    }

    /// The responder, with the 405 handlers added for every known path.
    public func buildResponder() -> RouterResponder<ServiceRequestContext> {
        for path in order {
            var allowed = methods[path] ?? []
            // HEAD is answered wherever GET is (Hummingbird derives it), so it is allowed, not refused.
            if allowed.contains(.get) && !allowed.contains(.head) { allowed.append(.head) }
            let allow = allowed
            for method in Self.answeredMethods where !allowed.contains(method) {
                router.on(RouterPath(path), method: method) { _, _ -> Response in
                    throw Problem(
                        status: .methodNotAllowed, code: "method-not-allowed",
                        detail: "\(method.rawValue) is not supported here; use \(allow.map(\.rawValue).joined(separator: " or ")).",
                        allow: allow
                    )
                }
            }
        }
        return router.buildResponder()
    }

    /// A JSON response, members in key order.
    public static func json(_ value: JSONValue, status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        json(bytes: value.serializedBytes(sortedKeys: true), status: status, headers: headers)
    }

    public static func json(bytes: some Collection<UInt8>, status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
