import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import BookshelfServiceKit
import Gateway

/// Servers that answer every request with one fixed JSON body and do nothing else, so that
/// `scripts/bench-gateway.py --floors` can measure what the gateway's HTTP server costs per request before any
/// forwarding: the least CPU a gateway built on Hummingbird 2 can spend on the client's side of a request.
enum GatewayFloor {
    enum Server: String, CaseIterable, Sendable {
        /// Hummingbird's defaults: an `Application` with one route, its handler on the global pool.
        case router
        /// The gateway's own server (`HTTPServerBuilder.serviceHTTP1` with a handler in front of Hummingbird's,
        /// on the connection's event loop), its handler answering at once instead of forwarding.
        case front
    }

    /// Runs the server on `host`:`port` until SIGTERM or SIGINT.
    static func run(_ server: Server, host: String, port: Int, bodyBytes: Int, logger: Logger) async throws {
        let configuration = ApplicationConfiguration(address: .hostname(host, port: port), serverName: "floor")
        try await application(server, configuration: configuration, bodyBytes: bodyBytes, logger: logger).runService()
    }

    /// The server, answering every request with `bodyBytes` of JSON (a JSON array padded with spaces).
    static func application(
        _ server: Server, configuration: ApplicationConfiguration, bodyBytes: Int, logger: Logger
    ) -> Application<RouterResponder<BasicRequestContext>> {
        var bytes = [UInt8](repeating: UInt8(ascii: " "), count: max(bodyBytes, 2))
        bytes[0] = UInt8(ascii: "[")
        bytes[bytes.count - 1] = UInt8(ascii: "]")
        let body = ByteBuffer(bytes: bytes)
        let router = Router()
        switch server {
        case .router:
            router.get("/**") { _, _ in
                Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
            }
            return Application(router: router, configuration: configuration, logger: logger)
        case .front:
            let server = HTTPServerBuilder.serviceHTTP1(handlersOnEventLoop: true, frontHandlers: { [FixedAnswerHandler(body: body)] })
            return Application(router: router, server: server, configuration: configuration, logger: logger)
        }
    }
}

/// Answers each request, once it has ended, with the fixed body and the headers a gateway answer carries
/// (`Content-Type`, `Content-Length`, `Date`, `Server`).
final class FixedAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    private let body: ByteBuffer
    private let dates = HTTPDateCache()

    init(body: ByteBuffer) {
        self.body = body
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        let fields: HTTPFields = [
            .contentType: "application/json", .contentLength: String(body.readableBytes), .date: dates.now(), .server: "floor",
        ]
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .ok, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
