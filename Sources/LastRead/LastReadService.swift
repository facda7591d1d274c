import BookshelfDomain
import BookshelfApp
import FoundationEssentials
import Hummingbird
import BookshelfServiceKit

/// last-read's wiring: `GET /bookshelf/books/last/read`.
package struct LastReadService: Sendable {
    package static let defaults = ServiceDefaults(
        name: BookshelfServices.lastRead.consulName, tags: BookshelfServices.lastRead.tags, port: BookshelfServices.lastRead.port,
        environmentPrefix: BookshelfServices.environmentPrefix, problemNamespace: BookshelfServices.problemNamespace)

    package let view: ProjectionHost<LastReadBooks>

    package init(view: ProjectionHost<LastReadBooks>) {
        self.view = view
    }

    package func addRoutes(to routes: ServiceRoutes) {
        routes.on("/bookshelf/books/last/read", method: .get) { request, _ in
            try await ViewGate.open(request, view)
            let (books, position) = view.read { last, applied in (last.lastRead, applied) }
            return ServiceRoutes.json(bytes: try JSONEncoder().encode(books), status: .ok, headers: [view.positionHeaders.written: position.description])
        }
    }
}
