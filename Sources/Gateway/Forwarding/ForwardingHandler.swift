import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import BookshelfServiceKit

extension GatewayService {
    /// The forwarding path for a server's pipeline (`ServiceHost.run(frontHandlers:)`): one `ForwardingHandler`
    /// per connection.
    /// - Parameters:
    ///   - metrics: the registry the server's `/metrics` exposes; forwarded requests are counted there as
    ///     Hummingbird's routes are.
    ///   - serverName: the `Server` header every answer carries, as Hummingbird's do.
    package func frontHandlers(metrics: ServiceMetrics, serverName: String, logger: Logger, bodyLimit: Int = ServiceRequestContext.defaultBodyLimit) -> FrontHandlers {
        let settings = ForwardingHandler.Settings(gateway: self, metrics: metrics, serverName: serverName, logger: logger, bodyLimit: bodyLimit)
        return { [ForwardingHandler(settings)] }
    }
}

/// Answers the requests for contract operations in the connection's pipeline, without Hummingbird's
/// per-request task, async sequences and middleware chain: the head is routed and checked, the body is
/// collected and validated, and the request goes to the HTTP client with a callback that hops back to this
/// event loop once. Everything else (404, 405, the documentation, health, metrics) passes on to Hummingbird.
///
/// The answers are those of the middleware chain they bypass: the request id taken or made and echoed, the
/// body limit, problem+json for every refusal, `Date` and `Server`, the request counted in the metrics under
/// the route Hummingbird would name, `Connection: close` honoured.
///
/// HTTP/1 answers in request order, so one request is handled at a time per connection: while Hummingbird or
/// the upstream has the current one, later (pipelined) request parts wait here, and the socket is not read
/// again until they have been handed on.
final class ForwardingHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    struct Settings: Sendable {
        let gateway: GatewayService
        let metrics: ServiceMetrics
        let serverName: String
        let logger: Logger
        let bodyLimit: Int
        let dates = HTTPDateCache()
    }

    /// What the route counts as in the metrics: the route Hummingbird registers for the API.
    static let metricsRoute = "/bookshelf/**"

    /// One request this handler answers; a class, so the state machine's switches move a reference rather
    /// than copy the head and the operation.
    private final class Exchange {
        let head: HTTPRequest
        let path: String
        let operation: RouteTable.Operation
        let parameters: [String: String]
        let requestID: String
        let start: ContinuousClock.Instant
        let wantsBody: Bool

        init(
            head: HTTPRequest, path: String, operation: RouteTable.Operation, parameters: [String: String], requestID: String,
            start: ContinuousClock.Instant, wantsBody: Bool
        ) {
            self.head = head
            self.path = path
            self.operation = operation
            self.parameters = parameters
            self.requestID = requestID
            self.start = start
            self.wantsBody = wantsBody
        }
    }

    private enum State {
        case idle
        /// Hummingbird has the request: `reading` until its end has passed on, `answering` until its answer's end has passed back.
        case passed(reading: Bool, answering: Bool)
        /// Reading the body of a request this handler answers.
        case collecting(Exchange)
        /// Answered before the body ended; the rest of it is read and dropped.
        case discarding
        /// Waiting for the upstream.
        case forwarding
    }

    private let settings: Settings
    private var state = State.idle
    /// Parts of requests that arrived while an earlier request was being answered.
    private var waiting = CircularBuffer<HTTPRequestPart>()
    /// The body of the request being collected.
    private var body: [UInt8] = []
    private var readHeld = false
    /// False once the connection closed or is closing after a `Connection: close` answer.
    private var isActive = true

    init(_ settings: Settings) {
        self.settings = settings
    }

    /// Whether a new request has to wait for the current one.
    private var isBusy: Bool {
        switch state {
        case .forwarding, .passed(reading: false, answering: true): true
        default: false
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard isActive else { return }
        let part = unwrapInboundIn(data)
        if isBusy || !waiting.isEmpty {
            waiting.append(part)
        } else {
            receive(part, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        isActive = false
        waiting.removeAll()
        context.fireChannelInactive()
    }

    /// Reading stops only once a request is waiting here: stopping whenever one is being answered would make
    /// NIO take the socket's read interest out of epoll and put it back, two system calls per request.
    func read(context: ChannelHandlerContext) {
        if waiting.isEmpty {
            context.read()
        } else {
            readHeld = true
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        guard case .end = unwrapOutboundIn(data), case .passed(let reading, true) = state else { return }
        state = reading ? .passed(reading: true, answering: false) : .idle
        if !reading { resume(context: context) }
    }

    private func receive(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch (state, part) {
        case (.idle, .head(let head)):
            start(head, context: context)
        case (.passed(true, let answering), .end):
            state = answering ? .passed(reading: false, answering: true) : .idle
            context.fireChannelRead(wrapInboundOut(part))
        case (.passed, _):
            context.fireChannelRead(wrapInboundOut(part))
        case (.collecting(let exchange), .body(let buffer)):
            guard exchange.wantsBody else { return }
            guard body.count + buffer.readableBytes <= settings.bodyLimit else {
                state = .discarding
                let problem = Problem(status: .contentTooLarge, code: "body-too-large", detail: "The body exceeds \(settings.bodyLimit) bytes.")
                answer(GatewayReply(problem: problem, instance: exchange.path), to: exchange, context: context)
                return
            }
            body.append(contentsOf: buffer.readableBytesView)
        case (.collecting(let exchange), .end):
            if exchange.wantsBody, let refusal = settings.gateway.refusal(body: body, operation: exchange.operation, parameters: exchange.parameters, path: exchange.path) {
                state = .idle
                answer(refusal, to: exchange, context: context)
            } else {
                state = .forwarding
                forward(exchange, context: context)
            }
        case (.discarding, .end):
            state = .idle
        case (.discarding, _), (.collecting, .head), (.idle, _), (.forwarding, _):
            // The HTTP decoder delivers head, body, end in order, and a busy handler queues instead of receiving.
            break
        }
    }

    private func start(_ head: HTTPRequest, context: ChannelHandlerContext) {
        let path = URI(head.path ?? "").path
        guard let (operation, parameters) = settings.gateway.operation(method: head.method, path: path) else {
            state = .passed(reading: true, answering: true)
            context.fireChannelRead(wrapInboundOut(.head(head)))
            return
        }
        let exchange = Exchange(
            head: head, path: path, operation: operation, parameters: parameters,
            requestID: head.headerFields[.requestID].flatMap(RequestIDMiddleware.usable) ?? RequestIDGenerator.next(),
            start: .now, wantsBody: GatewayService.wantsBody(head, operation: operation)
        )
        if let length = head.headerFields[.contentLength].flatMap(Int.init), length > settings.bodyLimit {
            state = .discarding
            let problem = Problem(status: .contentTooLarge, code: "body-too-large", detail: "The body exceeds \(settings.bodyLimit) bytes.")
            answer(GatewayReply(problem: problem, instance: path), to: exchange, context: context)
        } else if let refusal = settings.gateway.refusalBeforeBody(head, path: path, operation: operation, parameters: parameters, wantsBody: exchange.wantsBody) {
            state = .discarding
            answer(refusal, to: exchange, context: context)
        } else {
            body = []
            state = .collecting(exchange)
        }
    }

    private func forward(_ exchange: Exchange, context: ChannelHandlerContext) {
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context, exchange), eventLoop: loop)
        settings.gateway.forward(
            exchange.head, path: exchange.path, operation: exchange.operation, requestID: exchange.requestID, body: body,
            logger: settings.logger
        ) { reply in
            let deliver: @Sendable () -> Void = {
                let (handler, context, exchange) = bound.value
                handler.state = .idle
                handler.answer(reply, to: exchange, context: context)
                handler.resume(context: context)
            }
            if loop.inEventLoop { deliver() } else { loop.execute(deliver) }
        }
    }

    /// Writes an answer with the headers every answer carries, and counts it.
    private func answer(_ reply: GatewayReply, to exchange: Exchange, context: ChannelHandlerContext) {
        let status = reply.status.code
        settings.metrics.recordRequest(route: Self.metricsRoute, method: exchange.head.method.rawValue, status: status, duration: .now - exchange.start)
        guard isActive else { return }
        // A reply never carries these (HeaderPolicy keeps the upstream's own out), so they are appended, not looked up.
        var fields = reply.headers
        fields.reserveCapacity(fields.count + 4)
        fields.append(HTTPField(name: .contentLength, value: String(reply.body.readableBytes)))
        fields.append(HTTPField(name: .requestID, value: exchange.requestID))
        fields.append(HTTPField(name: .date, value: settings.dates.now()))
        fields.append(HTTPField(name: .server, value: settings.serverName))
        context.write(wrapOutboundOut(.head(HTTPResponse(status: reply.status, headerFields: fields))), promise: nil)
        // HEAD answers with the head of the GET it stands for, length included, and no body.
        if exchange.head.method != .head, reply.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(reply.body)), promise: nil)
        }
        // Connection's options are case-insensitive tokens (RFC 9110, 7.6.1).
        if exchange.head.headerFields[values: .connection].contains(where: { $0.split(separator: ",").contains { $0.lowercased().filter { $0 != " " && $0 != "\t" } == "close" } }) {
            // Whatever the client sent after it is not answered.
            isActive = false
            waiting.removeAll()
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        if settings.logger.logLevel <= .debug {
            settings.logger.debug("request", metadata: [
                "request_id": .string(exchange.requestID), "method": .string(exchange.head.method.rawValue), "path": .string(exchange.path),
                "status": .stringConvertible(status), "seconds": .stringConvertible(ContinuousClock.now - exchange.start),
            ])
        }
    }

    /// Hands on the requests that waited for the one just answered, then lets the socket be read again.
    private func resume(context: ChannelHandlerContext) {
        guard isActive else { return }
        var delivered = false
        while !isBusy, let part = waiting.popFirst() {
            receive(part, context: context)
            delivered = true
        }
        if delivered { context.fireChannelReadComplete() }
        if readHeld, waiting.isEmpty {
            readHeld = false
            context.read()
        }
    }
}
