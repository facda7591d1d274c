import CCurl
import Logging

/// An asynchronous HTTP/1.1 client over libcurl's multi interface.
///
/// A dedicated thread watches every transfer's sockets and timers; requests from a task are handed to it, so no
/// libcurl call ever runs on Swift's cooperative pool, and requests from outside any task (a NIO event loop)
/// are sent from the calling thread. The multi handle's connection cache keeps connections to each upstream
/// open between requests.
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

    /// The same exchange with a completion, for callers such as a NIO channel handler. Called outside any Swift
    /// task (an event loop's thread), the request is sent from the calling thread, without waking the client's
    /// thread; called from a task, it is handed to the client's thread, so that Swift's cooperative pool never
    /// calls libcurl. `completion` runs exactly once, on the thread that finished the transfer: the client's
    /// thread, or one that was sending requests (possibly the caller's, before this returns). It must return
    /// quickly, since the transfers behind it wait while it runs.
    /// - Parameter sendLater: outside a task, only queue the request; the caller sends everything queued with one
    ///   `sendQueued()` later in the same turn (an event loop, once it has handled this turn's reads), so that
    ///   requests that arrive together leave together. Another thread that sends meanwhile sends it too.
    public func execute(
        _ request: Request, sendLater: Bool = false, completion: @escaping @Sendable (Result<Response, HTTPClientError>) -> Void
    ) {
        let transfer: CurlTransfer
        do {
            transfer = try makeTransfer(request)
        } catch {
            return completion(.failure(error))
        }
        transfer.completion = completion
        if withUnsafeCurrentTask(body: { $0 != nil }) {
            loop.submit(transfer)
        } else if sendLater {
            loop.enqueue(transfer)
        } else {
            loop.start(transfer)
        }
    }

    /// Sends the requests queued with `sendLater` from the calling thread (never from a task: it calls libcurl).
    public func sendQueued() {
        loop.sendQueued()
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
