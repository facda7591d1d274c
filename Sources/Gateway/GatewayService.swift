import BookshelfJSON
import Discovery
import HTTPClient
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceKit

/// The gateway's wiring: the public API routed by openapi.json to the services discovery finds, checked
/// against the contracts first, and the API documentation.
public final class GatewayService: Sendable {
    public static let defaults = ServiceDefaults(name: "gateway", tags: ["books", "gateway"], port: 8000)

    let contracts: GatewayContracts
    let check: RequestCheck
    let forwarder: UpstreamForwarder
    let token: BearerToken?

    public init(contracts: GatewayContracts, validator: any SchemaValidating, forwarder: UpstreamForwarder, apiToken: String?) {
        self.contracts = contracts
        self.check = RequestCheck(validator: validator)
        self.forwarder = forwarder
        self.token = apiToken.flatMap { $0.isEmpty ? nil : BearerToken($0) }
    }

    public func addRoutes(to routes: ServiceRoutes) {
        let openAPI = ByteBuffer(bytes: contracts.openAPIBytes)
        routes.on("/apidocs/openapi.json", method: .get) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: openAPI))
        }
        let page = ByteBuffer(string: SwaggerPage.html)
        routes.on("/apidocs/index.html", method: .get) { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: page))
        }
        routes.on("/apidocs", method: .get) { _, _ in
            Response(status: .found, headers: [.location: "/apidocs/index.html"])
        }
        // openapi.json names its schemas relative to itself; Swagger UI fetches them from here.
        routes.on("/apidocs/rest/**", method: .get) { request, context in
            let relative = context.parameters.getCatchAll().joined(separator: "/")
            guard let bytes = self.contracts.restFile(relative) else {
                throw Problem.notFound("No contract file at \(request.uri.path).")
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        // Every method reaches the handler, which answers 404 and 405 from the contract rather than from
        // Hummingbird's route list.
        for method in [HTTPRequest.Method.get, .head, .post, .put, .patch, .delete, .options] {
            routes.on("/bookshelf/**", method: method) { request, context in
                try await self.handle(request, context: context)
            }
        }
    }

    func handle(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let path = request.uri.path
        let method = request.method.rawValue
        let operation: RouteTable.Operation
        let pathParameters: [String: String]
        switch contracts.routes.match(method: method, path: path) {
        case .notFound:
            throw Problem.notFound("No route \(method) \(path); the API is described at /apidocs/openapi.json.")
        case .methodNotAllowed(let allowed):
            throw Problem(
                status: .methodNotAllowed, code: "method-not-allowed",
                detail: "\(method) is not supported on \(path); use \(allowed.joined(separator: " or ")).",
                allow: allowed.compactMap { HTTPRequest.Method($0) }
            )
        case .operation(let matched, let parameters):
            operation = matched
            pathParameters = parameters
        }

        if let token, BearerToken.protects(method: method), !token.accepts(authorization: request.headers[.authorization]) {
            var response = Problem(
                status: .unauthorized, code: "unauthorized",
                detail: "\(method) needs Authorization: Bearer <token>, the token the gateway was started with (--api-token)."
            ).response(instance: path)
            response.headers[.wwwAuthenticate] = "Bearer realm=\"bookshelf\""
            return response
        }
        if let problem = check.pathParameters(pathParameters, of: operation) {
            return problem.response(instance: path)
        }
        var body: [UInt8] = []
        if operation.body != nil || request.headers[.contentLength].map({ $0 != "0" }) == true || request.headers[.transferEncoding] != nil {
            let declaredLength = request.headers[.contentLength].flatMap(Int.init)
            if let problem = check.mediaType(request.headers[.contentType], of: operation, bodyLength: declaredLength) {
                return problem.response(instance: path)
            }
            var request = request
            do {
                body = Array(buffer: try await request.collectBody(upTo: context.maxUploadSize))
            } catch is NIOTooManyBytesError {
                throw Problem(status: .contentTooLarge, code: "body-too-large", detail: "The body exceeds \(context.maxUploadSize) bytes.")
            }
            if let problem = check.body(body, of: operation) {
                return problem.response(instance: path)
            }
        }

        let idempotencyKey = request.headers[.idempotencyKey]
        do {
            // HEAD goes upstream as the GET it stands for: the services answer GET, and the head of that answer is the reply.
            let outcome = try await forwarder.forward(
                service: operation.upstream, method: method == "HEAD" ? "GET" : method, target: request.head.path ?? path,
                headers: HeaderPolicy.upstreamRequestHeaders(request.headers, requestID: context.requestID), body: body
            )
            if outcome.attempts > 1 {
                context.logger.info("read retried on another instance", metadata: [
                    "upstream": .string(operation.upstream), "instance": .string(outcome.instance.id), "attempts": "\(outcome.attempts)",
                ])
            }
            let response = Self.response(from: outcome.response)
            return method == "HEAD" ? response.createHeadResponse() : response
        } catch {
            if case .transport(_, let cause) = error, cause.code == .cancelled { throw CancellationError() }
            let retrySafe = !BearerToken.protects(method: method) || idempotencyKey != nil
            let problem = error.problem(retrySafe: retrySafe)
            context.logger.warning("upstream failed", metadata: [
                "operation": .string(operation.id), "upstream": .string(operation.upstream), "code": .string(problem.code), "error": "\(error)",
            ])
            return problem.response(instance: path)
        }
    }

    static func response(from upstream: HTTPClient.Response) -> Response {
        Response(
            status: HTTPResponse.Status(code: upstream.status),
            headers: HeaderPolicy.clientResponseHeaders(upstream.headers),
            body: .init(byteBuffer: ByteBuffer(bytes: upstream.body))
        )
    }
}

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}

extension ContractProblem {
    /// problem+json with the violations as RFC 9457 `errors`, which `Problem` alone cannot carry.
    public func response(instance: String) -> Response {
        var response = problem.response(instance: instance)
        guard !violations.isEmpty, let object = try? JSONValue(parsing: problem.body(instance: instance)), object.isObject else {
            return response
        }
        let errors = JSONValue.array(violations.map { violation in
            JSONValue.object([
                ("instanceLocation", .string(violation.instanceLocation)),
                ("keywordLocation", .string(violation.keywordLocation)),
                ("message", .string(violation.message)),
            ])
        })
        let body = JSONValue.object(object.members.map { ($0, $1) } + [("errors", errors)])
        response.body = .init(byteBuffer: ByteBuffer(bytes: body.serializedBytes(sortedKeys: true)))
        return response
    }
}
