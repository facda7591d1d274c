import CCurl
import Logging

/// An asynchronous HTTP/1.1 client over libcurl's multi interface.
///
/// One dedicated thread drives every transfer, so no libcurl call ever blocks Swift's cooperative pool, and
/// the multi handle's connection cache keeps connections to each upstream open between requests.
/// Call `shutdown()` when done; requests still in flight then fail with `.shutdown`.
public final class HTTPClient: Sendable {
    public let configuration: Configuration
    private let loop: CurlMultiLoop
    private let handles: EasyHandlePool

    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "bookshelf.httpclient")) {
        self.configuration = configuration
        self.loop = CurlMultiLoop(maxIdleConnections: configuration.maxIdleConnections, logger: logger)
        // As many handles as connections: a busier moment allocates more and frees the surplus afterwards.
        self.handles = EasyHandlePool(capacity: configuration.maxIdleConnections)
    }

    deinit {
        loop.requestStop()
    }

    public func execute(_ request: Request) async throws(HTTPClientError) -> Response {
        let transfer = try makeTransfer(request)
        let loop = self.loop
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                transfer.completion = { continuation.resume(returning: $0) }
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
        return try result.get()
    }

    /// The same exchange for callers that are not in a task, such as a NIO channel handler: `completion` runs
    /// exactly once, on the client's thread (or on the caller's, when the request is refused before it is
    /// sent), and must return quickly, since every other transfer waits while it runs.
    public func execute(_ request: Request, completion: @escaping @Sendable (Result<Response, HTTPClientError>) -> Void) {
        let transfer: CurlTransfer
        do {
            transfer = try makeTransfer(request)
        } catch {
            return completion(.failure(error))
        }
        transfer.completion = completion
        loop.submit(transfer)
    }

    private func makeTransfer(_ request: Request) throws(HTTPClientError) -> CurlTransfer {
        try CurlTransfer(
            request: request,
            pool: handles,
            connectTimeout: request.connectTimeout ?? configuration.connectTimeout,
            timeout: request.timeout ?? configuration.timeout,
            maxResponseBytes: configuration.maxResponseBytes
        )
    }

    /// Stops the transfer thread once every in-flight request has been failed, and frees the multi handle.
    public func shutdown() async {
        await loop.stop()
    }
}
