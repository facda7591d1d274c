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

    /// The route template and methods of paths this router does not route itself (the gateway's forwarding
    /// path), by path; nil for a path it does not know. Asked only for requests no route took.
    package var externalPaths: (@Sendable (String) -> (template: String, methods: [HTTPRequest.Method])?)?

    /// The app's namespace of problem types: every problem these routes answer with has the `type`
    /// `problemNamespace` + its code (``Problem/type(in:)``).
    public let problemNamespace: String

    /// - Parameters:
    ///   - metrics: where the requests are counted and timed.
    ///   - readiness: what `/health/ready` reports.
    ///   - problemNamespace: the app's, such as `urn:reviews:problem:` (``ServiceDefaults/problemNamespace``).
    ///   - bodyLimit: the largest request body read, in bytes; a larger one is answered 413.
    public init(
        metrics: ServiceMetrics, readiness: Readiness, problemNamespace: String, bodyLimit: Int = ServiceRequestContext.defaultBodyLimit
    ) {
        self.problemNamespace = problemNamespace
        router = Router(context: ServiceRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.add(middleware: ProblemMiddleware(namespace: problemNamespace))
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
            return problem.response(instance: request.uri.path, namespace: problemNamespace)
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

    /// The responder. A request no route takes is answered by `UnroutedMiddleware`: 405 with `Allow` for any
    /// method a known path lacks, 204 with `Allow` for OPTIONS, 404 for an unknown path.
    public func buildResponder() -> RouterResponder<ServiceRequestContext> {
        let known = order.map { path in
            var allowed = methods[path] ?? []
            // HEAD is answered wherever GET is (Hummingbird derives it), so it is allowed, not refused.
            if allowed.contains(.get) && !allowed.contains(.head) { allowed.append(.head) }
            return (pattern: RoutePattern(path), template: path, methods: allowed)
        }
        let external = externalPaths
        // Added last, so it wraps only the "no route" responder.
        router.add(middleware: UnroutedMiddleware { path in
            if let route = external?(path) { return route }
            return known.first { $0.pattern.matches(path) }.map { ($0.template, $0.methods) }
        })
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
