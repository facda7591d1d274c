import BookshelfContracts
import BookshelfDomain
import FoundationEssentials
import BookshelfServiceKit

/// book-read's state, rebuilt by replay: the ids of the books that exist, and the command that marks one
/// finished.
package struct KnownBooks: Projection {
    private var seen = SeenEvents()
    package private(set) var ids: Set<UUID> = []

    package init() {}

    package mutating func apply(_ event: BookEvent) -> ApplyOutcome {
        guard seen.insert(event.id) else { return .duplicate }
        if case .added(let book, _) = event.kind { ids.insert(book.id) }
        return .applied
    }

    /// `POST …/{id}/finished`: 400 for an id that is not a UUID, 404 for an unknown book once replay has
    /// caught up (before that an unknown id may still be on its way: 503), else the event to produce.
    package func finish(rawID: String, caughtUp: Bool, eventID: UUID, now: Date) throws(Problem) -> BookEvent {
        guard let id = UUID(bookID: rawID) else {
            throw Problem.badRequest(code: "malformed-id", "'\(rawID.prefix(64))' is not a book id; ids are lower-case UUIDs such as 6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31.")
        }
        guard ids.contains(id) else {
            if caughtUp { throw Problem.notFound("There is no book with id \(id.lowercaseText).") }
            throw Problem.unavailable(code: "not-ready", "book-read is still replaying the events topic and does not know this book yet.")
        }
        return BookEvent(id: eventID, time: now, kind: .finished(bookID: id))
    }
}
