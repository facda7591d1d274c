import HTTPTypes
import Hummingbird

/// Answers what no route took: a known path asked with a method it lacks gets 405 with `Allow` (whatever the
/// method: TRACE, QUERY or a token nobody registered), OPTIONS on a known path gets 204 with `Allow`, and
/// an unknown path keeps its 404. Wraps only the router's "no route" responder.
struct UnroutedMiddleware: RouterMiddleware {
    typealias Context = ServiceRequestContext

    /// The route template (for the metrics) and methods of a known path, nil for an unknown one.
    let route: @Sendable (String) -> (template: String, methods: [HTTPRequest.Method])?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path
            guard let (template, methods) = route(path) else {
                throw Problem.notFound("No resource at \(path.prefix(200)).")
            }
            context.coreContext.endpointPath.value = template
            let allowed = methods.contains(.options) ? methods : methods + [.options]
            let allow = allowed.map(\.rawValue).joined(separator: ", ")
            if request.method == .options {
                return Response(status: .noContent, headers: [.allow: allow])
            }
            throw Problem(
                status: .methodNotAllowed, code: "method-not-allowed",
                detail: "\(request.method.rawValue.prefix(32)) is not supported on \(path.prefix(200)); use \(allowed.map(\.rawValue).joined(separator: " or ")).",
                allow: allowed
            )
        }
    }
}

/// A route path in Hummingbird's syntax (`/bookshelf/books/:id`, `/apidocs/rest/**`), matched as the router
/// matches it: a literal segment equals, `:name`, `{name}` and `*` take one segment, `**` the rest.
struct RoutePattern: Sendable {
    private enum Segment: Sendable {
        case literal(Substring)
        case one
        case rest
    }

    private let segments: [Segment]

    init(_ path: String) {
        segments = path.split(separator: "/").map { part in
            if part == "**" { return .rest }
            if part == "*" || part.hasPrefix(":") || (part.hasPrefix("{") && part.hasSuffix("}")) { return .one }
            return .literal(part)
        }
    }

    func matches(_ path: String) -> Bool {
        let parts = path.split(separator: "/")
        for (index, segment) in segments.enumerated() {
            switch segment {
            case .rest:
                return parts.count > index
            case .one:
                guard index < parts.count else { return false }
            case .literal(let text):
                guard index < parts.count, parts[index] == text else { return false }
            }
        }
        return parts.count == segments.count
    }
}
