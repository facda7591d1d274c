import BookshelfJSON
import BookshelfContracts
import FoundationEssentials

/// A book as the services hold and answer it (contracts/rest/book/v2). `isbn` and `tags` arrived with
/// `book.added` v2; v1 books simply lack them. `published` is the year as the original API writes it: 1 to 4
/// ASCII digits, as the client sent them, or written out from the integer it sent (`Book.year(_:)`).
public struct Book: Sendable, Equatable, Codable {
    public var id: UUID
    public var title: String
    public var author: String
    public var published: String
    public var isbn: String?
    public var tags: [String]?

    public init(id: UUID, title: String, author: String, published: String, isbn: String? = nil, tags: [String]? = nil) {
        self.id = id
        self.title = title
        self.author = author
        self.published = published
        self.isbn = isbn
        self.tags = tags
    }

    enum CodingKeys: String, CodingKey {
        case id, title, author, published, isbn, tags
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(UUID.self, forKey: .id)
        title = try container.decode(String.self, forKey: .title)
        author = try container.decode(String.self, forKey: .author)
        published = try container.decode(String.self, forKey: .published)
        isbn = try container.decodeIfPresent(String.self, forKey: .isbn)
        tags = try container.decodeIfPresent([String].self, forKey: .tags)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.lowercaseText, forKey: .id)
        try container.encode(title, forKey: .title)
        try container.encode(author, forKey: .author)
        try container.encode(published, forKey: .published)
        try container.encodeIfPresent(isbn, forKey: .isbn)
        try container.encodeIfPresent(tags, forKey: .tags)
    }

    /// `published` for a year sent as an integer (1 to 9999, as the contracts bound it): its decimal digits,
    /// "1949" for 1949, so that a book reads the same whichever way its year was sent.
    public static func year(_ integer: Int) -> String {
        String(integer)
    }

    /// `published` from a JSON year: a string as it is, an integer (`1969.0` included) written out; nil for
    /// anything else. The contracts have checked the value before this reads it.
    public static func year(_ value: JSONValue) -> String? {
        if let text = value.string { return text }
        return value.int.map(year)
    }
}

/// The events the bookshelf exchanges, decoded from their CloudEvents envelope.
public struct BookEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `bookshelf.book.added`, any version; `idempotencyKey` is the `Idempotency-Key` the client sent.
        case added(Book, idempotencyKey: String?)
        /// `bookshelf.book.finished`.
        case finished(bookID: UUID)
    }

    /// The CloudEvents `id`: views apply each id once.
    public var id: UUID
    public var time: Date
    public var kind: Kind

    public init(id: UUID, time: Date, kind: Kind) {
        self.id = id
        self.time = time
        self.kind = kind
    }

    public var type: String {
        switch kind {
        case .added: EventTypes.bookAdded
        case .finished: EventTypes.bookFinished
        }
    }

    /// The record key: the book's id, so one book's events stay in order on one partition.
    public var key: String {
        switch kind {
        case .added(let book, _): book.id.lowercaseText
        case .finished(let bookID): bookID.lowercaseText
        }
    }
}

public enum EventTypes {
    public static let bookAdded = "bookshelf.book.added"
    public static let bookFinished = "bookshelf.book.finished"
}
