import BookshelfApp
import BookshelfJSON
import BookshelfDiscovery
import BookshelfHTTPClient
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import BookshelfServiceKit

/// The gateway's wiring: the public API routed by openapi.json to the services discovery finds, checked
/// against the contracts first, and the API documentation.
package final class GatewayService: Sendable {
    package static let defaults = ServiceDefaults(
        name: BookshelfServices.gateway.consulName, tags: BookshelfServices.gateway.tags, port: BookshelfServices.gateway.port,
        environmentPrefix: BookshelfServices.environmentPrefix, problemNamespace: BookshelfServices.problemNamespace)

    let contracts: GatewayContracts
    let check: RequestCheck
    let forwarder: UpstreamForwarder
    let token: BearerToken?
    let swaggerUI: SwaggerUIAssets

    package init(
        contracts: GatewayContracts, validator: any SchemaValidating, forwarder: UpstreamForwarder, apiToken: String?,
        swaggerUI: SwaggerUIAssets = .notInstalled
    ) {
        self.contracts = contracts
        self.swaggerUI = swaggerUI
        self.check = RequestCheck(validator: validator)
        self.forwarder = forwarder
        self.token = apiToken.flatMap { $0.isEmpty ? nil : BearerToken($0) }
    }

    package func addRoutes(to routes: ServiceRoutes) {
        let openAPI = ByteBuffer(bytes: contracts.openAPIBytes)
        routes.on("/apidocs/openapi.json", method: .get) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: openAPI))
        }
        let page = ByteBuffer(string: SwaggerPage.html(swaggerUI))
        // Without Swagger UI's files the page cannot work: 503 says so to a probe, the body to a person.
        let pageStatus: HTTPResponse.Status = swaggerUI.isAvailable ? .ok : .serviceUnavailable
        routes.on("/apidocs/index.html", method: .get) { _, _ in
            Response(status: pageStatus, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: page))
        }
        // One route per file the page needs: no path from the request ever reaches the file system.
        let fileIO = FileIO()
        for file in swaggerUI.files {
            routes.on(file.urlPath, method: .get) { request, context in
                var headers: HTTPFields = [.contentType: file.contentType, .cacheControl: "no-cache", .eTag: file.entityTag]
                if let tags = request.headers[.ifNoneMatch], tags.split(separator: ",").contains(where: { $0.trimmingSpacesAndTabs() == file.entityTag }) {
                    headers[.contentType] = nil
                    return Response(status: .notModified, headers: headers)
                }
                return Response(status: .ok, headers: headers, body: try await fileIO.loadFile(path: file.path, context: context))
            }
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
        // What the forwarding path does not take (a method an operation lacks, OPTIONS, an unknown path) gets
        // the router's unrouted answer, with the methods the contract gives each /bookshelf path.
        routes.externalPaths = { [contracts] path in
            guard path.hasPrefix("/bookshelf/"), case .methodNotAllowed(let allowed) = contracts.routes.match(method: "OPTIONS", path: path) else { return nil }
            return (ForwardingHandler.metricsRoute, allowed.compactMap { HTTPRequest.Method($0) })
        }
    }

    /// The member of `/health/ready`'s body that lists the routes no instance answers now.
    static let routesWithoutInstancesNotice = "routes_without_instances"

    /// The operations whose service has no instance that discovery knows as healthy now, as
    /// `METHOD /path (service)`: each answers 503 until one comes.
    static func routesWithoutInstances(_ routes: RouteTable, discovery: any ServiceDiscovery) -> [String] {
        routes.operations.filter { discovery.instances(of: $0.upstream).isEmpty }.map { "\($0.method) \($0.pathTemplate) (\($0.upstream))" }
    }

    /// The methods the gateway answers under /bookshelf.
    static let forwardedMethods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]

    /// The operation a request is for, when it is one the forwarding path takes.
    func operation(method: HTTPRequest.Method, path: String) -> (RouteTable.Operation, [String: String])? {
        guard Self.forwardedMethods.contains(method), case .operation(let operation, let parameters) = contracts.routes.match(method: method.rawValue, path: path)
        else { return nil }
        return (operation, parameters)
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
        let query = URI(head.path ?? "").queryParameters
        if let problem = check.parameters(query: { query[$0[...]].map(String.init) }, headers: head.headerFields, of: operation) {
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
            service: operation.upstream, method: method == "HEAD" ? "GET" : method, target: Self.originForm(head.path ?? path),
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

extension GatewayService {
    /// The target as the upstream gets it: a client may send the absolute form (`http://host/path?query`,
    /// which HTTP/1.1 servers must accept), but the upstream is asked for the path and query only.
    static func originForm(_ target: String) -> String {
        guard !target.hasPrefix("/") else { return target }
        let uri = URI(target)
        return uri.path + (uri.query.map { "?" + $0 } ?? "")
    }
}

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}

