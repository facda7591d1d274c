import BookshelfContracts
import BookshelfJSON
import BookshelfServiceKit
import FoundationEssentials

/// The events the bookshelf exchanges, decoded from their CloudEvents envelope.
package struct BookEvent: ServiceEvent, Equatable {
    package enum Kind: Sendable, Equatable {
        /// `bookshelf.book.added`, any version; `idempotencyKey` is the `Idempotency-Key` the client sent.
        case added(Book, idempotencyKey: String?)
        /// `bookshelf.book.finished`.
        case finished(bookID: UUID)
    }

    /// The CloudEvents `id`: views apply each id once.
    package var id: UUID
    package var time: Date
    package var kind: Kind

    package init(id: UUID, time: Date, kind: Kind) {
        self.id = id
        self.time = time
        self.kind = kind
    }

    package var type: String {
        switch kind {
        case .added: BookshelfEvents.bookAdded
        case .finished: BookshelfEvents.bookFinished
        }
    }

    /// The record key: the book's id, so one book's events stay in order on one partition.
    package var key: String {
        switch kind {
        case .added(let book, _): book.id.lowercaseText
        case .finished(let bookID): bookID.lowercaseText
        }
    }

    // Neither event is safe (each changes what views show). Both are idempotent (the defaults): consumers
    // dedupe by id, and a book finished twice ends up in the same place.

    /// The newest versions' `data`: book.added v3 (the year as a string, the key the client sent) and
    /// book.finished v1.
    package func data() -> JSONValue {
        switch kind {
        case .added(let book, let key):
            var members: [(String, JSONValue)] = [
                ("id", .string(book.id.lowercaseText)), ("title", .string(book.title)), ("author", .string(book.author)),
                ("published", .string(book.published)),
            ]
            if let isbn = book.isbn { members.append(("isbn", .string(isbn))) }
            if let tags = book.tags { members.append(("tags", .array(tags.map { .string($0) }))) }
            if let key { members.append(("idempotencyKey", .string(key))) }
            return .object(members)
        case .finished(let bookID):
            return .object([("id", .string(bookID.lowercaseText))])
        }
    }

    /// Reads any version of either event by plain field access (replay speed is bounded by decoding, and
    /// this is several times faster than `JSONDecoder`): v2 added optional members, v3 writes `published`
    /// as a string, and the integers of v1 and v2 are read as that string.
    package init(id: UUID, time: Date, type: String, data: JSONValue) throws(UnreadableEvent) {
        func invalid(_ pointer: String, _ what: String) -> UnreadableEvent {
            UnreadableEvent(code: "invalid-event", message: "The \(type) event does not match its schema: \(pointer) \(what).")
        }
        guard type == BookshelfEvents.bookAdded || type == BookshelfEvents.bookFinished else {
            throw UnreadableEvent(code: "unknown-type", message: "Event type '\(type)' is not one this consumer reads.")
        }
        guard let bookID = data["id"]?.withUTF8(UUID.init(utf8:)) ?? nil else { throw invalid("/data/id", "must be a UUID") }
        if type == BookshelfEvents.bookFinished {
            self.init(id: id, time: time, kind: .finished(bookID: bookID))
            return
        }
        guard let title = data["title"]?.string else { throw invalid("/data/title", "must be a string") }
        guard let author = data["author"]?.string else { throw invalid("/data/author", "must be a string") }
        // v1 and v2 wrote the year as an integer, v3 as a string: every reader answers it as a string.
        guard let published = data["published"].flatMap(Book.year) else { throw invalid("/data/published", "must be a year") }
        var isbn: String?
        if let value = data["isbn"] {
            guard let text = value.string else { throw invalid("/data/isbn", "must be a string") }
            isbn = text
        }
        var tags: [String]?
        if let value = data["tags"] {
            let strings = value.elements.compactMap(\.string)
            guard value.isArray, strings.count == value.count else { throw invalid("/data/tags", "must be an array of strings") }
            tags = strings
        }
        var key: String?
        if let value = data["idempotencyKey"] {
            guard let text = value.string else { throw invalid("/data/idempotencyKey", "must be a string") }
            key = text
        }
        let book = Book(id: bookID, title: title, author: author, published: published, isbn: isbn, tags: tags)
        self.init(id: id, time: time, kind: .added(book, idempotencyKey: key))
    }
}
