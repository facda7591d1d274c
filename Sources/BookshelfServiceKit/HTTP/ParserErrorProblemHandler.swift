import FoundationEssentials
import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Answers requests that HTTP parsing rejects (a header over the size limit, too many headers, bytes
/// that are not HTTP) with problem+json, as every other error is answered. Hummingbird would answer
/// them with a bare 400 before any middleware runs. Placed after HTTP part decoding; the connection is
/// closed after the answer, since the parser cannot find where the next request starts.
final class ParserErrorProblemHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    /// The app's namespace of problem types (``Problem/type(in:)``).
    let namespace: String

    init(namespace: String) {
        self.namespace = namespace
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        let problem = Self.problem(for: parserError)
        let body = context.channel.allocator.buffer(bytes: problem.body(instance: nil, namespace: namespace))
        let head = HTTPResponse(status: problem.status, headerFields: [
            .contentType: Problem.contentType,
            .contentLength: String(body.readableBytes),
            .connection: "close",
        ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            bound.value.close(promise: nil)
        }
    }

    static func problem(for error: HTTPParserError) -> Problem {
        switch error {
        case .headerOverflow:
            Problem(
                status: .init(code: 431, reasonPhrase: "Request Header Fields Too Large"), code: "headers-too-large",
                detail: "The request's headers are over the size or count this service accepts; send fewer or shorter headers."
            )
        default:
            Problem(status: .badRequest, code: "malformed-http", detail: "The request is not well-formed HTTP/1.1.")
        }
    }
}
