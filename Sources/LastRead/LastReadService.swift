import BookshelfApp
import FoundationEssentials
import Hummingbird
import BookshelfServiceKit

/// last-read's wiring: `GET /bookshelf/books/last/read`.
public struct LastReadService: Sendable {
    public static let defaults = ServiceDefaults(
        name: BookshelfServices.lastRead.consulName, tags: BookshelfServices.lastRead.tags, port: BookshelfServices.lastRead.port)

    public let view: ProjectionHost<LastReadBooks>

    public init(view: ProjectionHost<LastReadBooks>) {
        self.view = view
    }

    public func addRoutes(to routes: ServiceRoutes) {
        routes.on("/bookshelf/books/last/read", method: .get) { request, _ in
            try await ViewGate.open(request, view)
            let (books, position) = view.read { last, applied in (last.lastRead, applied) }
            return ServiceRoutes.json(bytes: try JSONEncoder().encode(books), status: .ok, headers: [.bookshelfPosition: position.description])
        }
    }
}
