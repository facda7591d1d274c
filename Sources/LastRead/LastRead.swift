import BookshelfContracts
import BookshelfDomain
import FoundationEssentials
import BookshelfServiceKit

/// The last-read view: the five books finished most recently, full book data, newest first, each once.
/// "Recent" is the finished event's `time`, not the order events arrive in: partitions replay in any
/// interleaving, and the answer must not change with it.
package struct LastReadBooks: Projection {
    package static let size = 5

    private var seen = SeenEvents()
    private var books: [UUID: Book] = [:]
    /// At most `size` entries, newest first.
    private var recent: [(bookID: UUID, time: Date, eventID: UUID)] = []

    package init() {}

    package mutating func apply(_ event: BookEvent) -> ApplyOutcome {
        guard seen.insert(event.id) else { return .duplicate }
        switch event.kind {
        case .added(let book, _):
            if books[book.id] == nil { books[book.id] = book }
        case .finished(let bookID):
            guard books[bookID] != nil else {
                return .rejected(UnreadableEvent(code: "unknown-book", message: "book.finished names \(bookID.lowercaseText), which no book.added introduced."))
            }
            let entry = (bookID: bookID, time: event.time, eventID: event.id)
            if let existing = recent.firstIndex(where: { $0.bookID == bookID }) {
                guard Self.isNewer(entry, than: recent[existing]) else { return .applied }
                recent.remove(at: existing)
            }
            let position = recent.firstIndex { Self.isNewer(entry, than: $0) } ?? recent.count
            if position < Self.size {
                recent.insert(entry, at: position)
                if recent.count > Self.size { recent.removeLast() }
            }
        }
        return .applied
    }

    /// Newest first.
    package var lastRead: [Book] {
        recent.compactMap { books[$0.bookID] }
    }

    /// Later time wins; equal times are ordered by event id so every replay agrees.
    private static func isNewer(_ a: (bookID: UUID, time: Date, eventID: UUID), than b: (bookID: UUID, time: Date, eventID: UUID)) -> Bool {
        a.time != b.time ? a.time > b.time : UUID.textOrder(b.eventID, a.eventID)
    }
}
