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
        // Hummingbird's route list. Requests for an operation never get here: `ForwardingHandler` answers them.
        for method in Self.forwardedMethods {
            routes.on("/bookshelf/**", method: method) { request, _ in
                try self.refuse(request)
            }
        }
    }

    /// The methods the gateway answers under /bookshelf.
    static let forwardedMethods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]

    /// The operation a request is for, when it is one the forwarding path takes.
    func operation(method: HTTPRequest.Method, path: String) -> (RouteTable.Operation, [String: String])? {
        guard Self.forwardedMethods.contains(method), case .operation(let operation, let parameters) = contracts.routes.match(method: method.rawValue, path: path)
        else { return nil }
        return (operation, parameters)
    }

    /// 404 and 405 for the /bookshelf paths and methods the contract does not have.
    func refuse(_ request: Request) throws -> Response {
        let path = request.uri.path
        let method = request.method.rawValue
        switch contracts.routes.match(method: method, path: path) {
        case .notFound:
            throw Problem.notFound("No route \(method) \(path); the API is described at /apidocs/openapi.json.")
        case .methodNotAllowed(let allowed):
            throw Problem(
                status: .methodNotAllowed, code: "method-not-allowed",
                detail: "\(method) is not supported on \(path); use \(allowed.joined(separator: " or ")).",
                allow: allowed.compactMap { HTTPRequest.Method($0) }
            )
        case .operation:
            // Only a server started without `frontHandlers` gets here; the gateway command always installs them.
            throw Problem(
                status: .internalServerError, code: "forwarding-not-installed",
                detail: "This server was started without the gateway's forwarding handler, so it cannot forward \(method) \(path)."
            )
        }
    }

    /// The checks that come before the body is read: the token for writes, the path parameters, and the
    /// media type of a body. A refusal, or nil to go on.
    func refusalBeforeBody(_ head: HTTPRequest, path: String, operation: RouteTable.Operation, parameters: [String: String], wantsBody: Bool) -> GatewayReply? {
        let method = head.method.rawValue
        if let token, BearerToken.protects(method: method), !token.accepts(authorization: head.headerFields[.authorization]) {
            var reply = GatewayReply(problem: Problem(
                status: .unauthorized, code: "unauthorized",
                detail: "\(method) needs Authorization: Bearer <token>, the token the gateway was started with (--api-token)."
            ), instance: path)
            reply.headers[.wwwAuthenticate] = "Bearer realm=\"bookshelf\""
            return reply
        }
        if let problem = check.pathParameters(parameters, of: operation) {
            return GatewayReply(problem: problem, instance: path)
        }
        if wantsBody {
            let declaredLength = head.headerFields[.contentLength].flatMap(Int.init)
            if let problem = check.mediaType(head.headerFields[.contentType], of: operation, bodyLength: declaredLength) {
                return GatewayReply(problem: problem, instance: path)
            }
        }
        return nil
    }

    /// Whether the body is read and checked: the operation takes one, or the client sends one anyway.
    static func wantsBody(_ head: HTTPRequest, operation: RouteTable.Operation) -> Bool {
        operation.body != nil || head.headerFields[.contentLength].map({ $0 != "0" }) == true || head.headerFields[.transferEncoding] != nil
    }

    func refusal(body: [UInt8], operation: RouteTable.Operation, parameters: [String: String], path: String) -> GatewayReply? {
        check.body(body, of: operation, pathParameters: parameters).map { GatewayReply(problem: $0, instance: path) }
    }

    /// Sends the request upstream; `completion` gets the upstream's answer or the problem that replaces it,
    /// on the HTTP client's thread.
    func forward(
        _ head: HTTPRequest, path: String, operation: RouteTable.Operation, requestID: String, body: [UInt8], logger: Logger,
        completion: @escaping @Sendable (GatewayReply) -> Void
    ) {
        let method = head.method.rawValue
        let retrySafe = !BearerToken.protects(method: method) || head.headerFields[.idempotencyKey] != nil
        // HEAD goes upstream as the GET it stands for: the services answer GET, and the head of that answer is the reply.
        forwarder.forward(
            service: operation.upstream, method: method == "HEAD" ? "GET" : method, target: head.path ?? path,
            headers: HeaderPolicy.upstreamRequestHeaders(head.headerFields, requestID: requestID), body: body
        ) { result in
            switch result {
            case .success(let outcome):
                if outcome.attempts > 1 {
                    logger.info("read retried on another instance", metadata: [
                        "request_id": .string(requestID), "upstream": .string(operation.upstream),
                        "instance": .string(outcome.instance.id), "attempts": "\(outcome.attempts)",
                    ])
                }
                completion(GatewayReply(upstream: outcome.response))
            case .failure(let error):
                let problem = error.problem(retrySafe: retrySafe)
                logger.warning("upstream failed", metadata: [
                    "request_id": .string(requestID), "operation": .string(operation.id), "upstream": .string(operation.upstream),
                    "code": .string(problem.code), "error": "\(error)",
                ])
                completion(GatewayReply(problem: problem, instance: path))
            }
        }
    }
}

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}

