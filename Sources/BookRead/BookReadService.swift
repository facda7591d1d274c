import BookshelfApp
import BookshelfContracts
import BookshelfDomain
import FoundationEssentials
import Hummingbird
import BookshelfServiceKit

/// book-read's wiring: `POST /bookshelf/books/{id}/finished` over `KnownBooks`, producing through an
/// `EventPublisher`.
package struct BookReadService: Sendable {
    package static let defaults = ServiceDefaults(
        name: BookshelfServices.bookRead.consulName, tags: BookshelfServices.bookRead.tags, port: BookshelfServices.bookRead.port,
        environmentPrefix: BookshelfServices.environmentPrefix, problemNamespace: BookshelfServices.problemNamespace)
    package static let eventSource = BookshelfEvents.bookReadSource

    package let state: ProjectionHost<KnownBooks>
    let publisher: any EventPublisher
    let metrics: ServiceMetrics
    let codec: EventCodec<BookEvent>
    let contracts: ContractRegistry

    /// Every event is checked against `contracts` before it is published.
    package init(state: ProjectionHost<KnownBooks>, publisher: any EventPublisher, contracts: ContractRegistry, metrics: ServiceMetrics) {
        self.state = state
        self.publisher = publisher
        self.codec = EventCodec(source: BookReadService.eventSource, contracts: contracts)
        self.contracts = contracts
        self.metrics = metrics
    }

    package func addRoutes(to routes: ServiceRoutes) {
        routes.on("/bookshelf/books/:id/finished", method: .post) { request, context in
            try await finish(request, context: context)
        }
    }

    func finish(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        try await ReadYourWrites.awaitMinimumPosition(of: request, in: state)
        let rawID = context.parameters.get("id") ?? ""
        // The original API's clients finish a book right after adding it and send no position: an id this
        // service does not know yet may already be in the log, so it catches up with the log before a 404.
        if let id = UUID(bookID: rawID), !state.read({ known, _ in known.ids.contains(id) }) {
            _ = await ReadYourWrites.awaitEndOfLog(in: state)
        }
        let caughtUp = state.isCaughtUp
        // The original API sends the whole book, typed application/json; a request without a type and without
        // a declared length is read as one without a body.
        var request = request
        if request.headers[.contentType] != nil || request.headers[.contentLength].flatMap(Int.init).map({ $0 > 0 }) == true {
            let body = try await request.jsonBody(context: context)
            try FinishRequest.check(body: body.readableBytesView, rawID: rawID, against: contracts)
        }
        let event = try state.read { known, _ in
            try known.finish(rawID: rawID, caughtUp: caughtUp, eventID: UUID(), now: Date())
        }
        let position = try await publisher.publish(try codec.record(event))
        metrics.eventProduced(type: event.type)
        return Response(status: .noContent, headers: [state.positionHeaders.written: position.description])
    }
}
