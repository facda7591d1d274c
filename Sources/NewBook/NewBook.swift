import BookshelfContracts
import BookshelfDomain
import BookshelfJSON
import FoundationEssentials
import BookshelfServiceKit

/// new-book's memory, rebuilt by replay: which `Idempotency-Key` added which book (keys travel in the
/// `book.added` data, so they survive restarts), and which keys have a write in flight right now.
package struct NewBookState: IdempotentProjection {
    private var seen = SeenEvents()
    package var idempotencyKeys = IdempotencyLedger<Book>()

    package init() {}

    package mutating func apply(_ event: BookEvent) -> ApplyOutcome {
        guard seen.insert(event.id) else { return .duplicate }
        if case .added(let book, let key?) = event.kind { idempotencyKeys.learn(key: key, value: book) }
        return .applied
    }

    /// Which key added which book, as far as this state knows.
    package var booksByKey: [String: Book] { idempotencyKeys.answered }

    /// What to do with a POST, decided atomically against this state.
    package enum Decision: Equatable, Sendable {
        /// Produce this event; answer with its book once the broker acknowledged it.
        case produce(BookEvent)
        /// The key already added a book: answer with it and produce nothing. `position` is where its event
        /// went when this process wrote it, nil when the key was learned by replay.
        case replay(Book, position: EventPosition?)
    }

    /// Checks the key, validates the body against the new-book request contract in `contracts`, then
    /// decides. With a key, the key is reserved until the ledger's `finish(key:with:)`, so a concurrent
    /// retry gets 409 instead of a second book.
    package mutating func decide(
        body: some Collection<UInt8>, contracts: ContractRegistry, idempotencyKey: String?, bookID: UUID, eventID: UUID, now: Date
    ) throws(Problem) -> Decision {
        if let key = idempotencyKey, let answer = try idempotencyKeys.check(key) {
            return .replay(answer.value, position: answer.position)
        }
        let request = try NewBookRequest(validating: body, against: contracts)
        let book = Book(id: bookID, title: request.title, author: request.author, published: request.published, isbn: request.isbn, tags: request.tags)
        if let key = idempotencyKey { idempotencyKeys.reserve(key) }
        return .produce(BookEvent(id: eventID, time: now, kind: .added(book, idempotencyKey: idempotencyKey)))
    }
}

/// The body of `POST /bookshelf/books`, checked against contracts/rest/new-book-request/v2 with the same
/// validator and schema every other check of that contract uses (the gateway's, `bookshelf contracts
/// validate`), so this service cannot accept what another team's validator refuses, or refuse what it accepts.
package struct NewBookRequest: Equatable, Sendable {
    package static let schemaID = "https://bookshelf.example/contracts/rest/new-book-request/v2/new-book-request.schema.json"

    package var title: String
    package var author: String
    /// The year as the book will answer it: the string sent, or the integer sent written out.
    package var published: String
    package var isbn: String?
    package var tags: [String]?

    package init(validating body: some Collection<UInt8>, against contracts: ContractRegistry) throws(Problem) {
        let (value, violations) = try ContractBody.parse(body, against: Self.schemaID, in: contracts, service: "new-book")
        guard violations.isEmpty, let title = value["title"]?.string, let author = value["author"]?.string,
              let published = value["published"].flatMap(Book.year) else {
            throw Self.invalid(violations, sentID: value["id"] != nil)
        }
        self.title = title
        self.author = author
        self.published = published
        isbn = value["isbn"]?.string
        tags = value["tags"].map { $0.elements.compactMap(\.string) }
    }

    /// 400 with every violation in `errors`; a client-chosen id gets a word of advice.
    private static func invalid(_ violations: [ContractViolation], sentID: Bool) -> Problem {
        ContractBody.invalid(violations, contract: "new-book request", advice: sentID ? " The server assigns the id: send the book without one." : "")
    }
}
