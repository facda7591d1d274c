import BookshelfDomain
import BookshelfServiceKit
import CJansson

extension ServiceProcess {
    /// A process of one of Bookshelf's services: the app's topics and read-your-writes headers.
    convenience init(bookshelf options: ServiceOptions, defaults: ServiceDefaults) throws {
        try self.init(options: options, defaults: defaults, events: BookshelfEvents.stream, positionHeaders: BookshelfEvents.positionHeaders)
    }

    /// A projection that, once replay has caught up, hands the memory the replay freed back to the system:
    /// what it needed only while it ran (decoded batches, jansson's nodes, sort buffers) is freed by then,
    /// but glibc keeps freed memory in its heap, and the service should settle at what it holds. Process-wide
    /// tuning, so the executable's choice rather than the kit's.
    func bookshelfProjection<P: Projection>(_ type: P.Type) throws -> ProjectionHost<P> {
        try projection(type, onCaughtUp: { _ = bs_malloc_trim() })
    }
}
