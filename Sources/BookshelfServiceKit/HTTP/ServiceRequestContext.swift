import Hummingbird
import Logging

/// The request context of every Bookshelf service: Hummingbird's core storage plus the request id and the
/// body limit the service configured.
public struct ServiceRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller's `X-Request-Id` when it was usable, else one made for this request.
    public var requestID: String = ""
    /// Bytes a request body may have; larger bodies get 413.
    public var maxUploadSize: Int = ServiceRequestContext.defaultBodyLimit

    /// 64 KiB: a book is a few hundred bytes, so anything near this is a mistake or an attack.
    public static let defaultBodyLimit = 64 * 1024

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}
