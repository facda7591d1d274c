import BookshelfApp
import BookshelfContracts
import BookshelfDomain
import FoundationEssentials
import Hummingbird
import BookshelfServiceKit

/// new-book's wiring: `POST /bookshelf/books` over `NewBookState`, producing through an `EventPublisher`.
package struct NewBookService: Sendable {
    package static let defaults = ServiceDefaults(
        name: BookshelfServices.newBook.consulName, tags: BookshelfServices.newBook.tags, port: BookshelfServices.newBook.port,
        environmentPrefix: BookshelfServices.environmentPrefix, problemNamespace: BookshelfServices.problemNamespace)
    package static let eventSource = BookshelfEvents.newBookSource

    package let state: ProjectionHost<NewBookState>
    let publisher: any EventPublisher
    let metrics: ServiceMetrics
    let codec: EventCodec<BookEvent>
    let contracts: ContractRegistry

    /// Every event is checked against `contracts` before it is published.
    package init(state: ProjectionHost<NewBookState>, publisher: any EventPublisher, contracts: ContractRegistry, metrics: ServiceMetrics) {
        self.state = state
        self.publisher = publisher
        self.codec = EventCodec(source: NewBookService.eventSource, contracts: contracts)
        self.contracts = contracts
        self.metrics = metrics
    }

    package func addRoutes(to routes: ServiceRoutes) {
        routes.on("/bookshelf/books", method: .post) { request, context in
            try await add(request, context: context)
        }
    }

    func add(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        guard state.isCaughtUp else {
            throw Problem.unavailable(code: "not-ready", "new-book is still replaying the events topic to learn the idempotency keys it has seen.")
        }
        var request = request
        let body = try await request.jsonBody(context: context)
        let key = request.headers[.idempotencyKey]
        let decision = try state.update { state in
            try state.decide(body: body.readableBytesView, contracts: contracts, idempotencyKey: key, bookID: UUID(), eventID: UUID(), now: Date())
        }
        switch decision {
        case .replay(let book, let position):
            return try created(book, position: state.writtenPosition(ofReplayed: position), replayed: true)
        case .produce(let event):
            guard case .added(let book, _) = event.kind else { preconditionFailure("new-book only produces book.added") }
            let position = try await state.publish(event, with: codec, answering: book, idempotencyKey: key, through: publisher)
            metrics.eventProduced(type: event.type)
            return try created(book, position: position.description, replayed: false)
        }
    }

    private func created(_ book: Book, position: String, replayed: Bool) throws -> Response {
        var headers: HTTPFields = [.location: "/bookshelf/books/\(book.id.lowercaseText)", state.positionHeaders.written: position]
        if replayed { headers[.idempotentReplayed] = "true" }
        return ServiceRoutes.json(bytes: try JSONEncoder().encode(book), status: .created, headers: headers)
    }
}
