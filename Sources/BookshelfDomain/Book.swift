import BookshelfContracts
import BookshelfJSON
import FoundationEssentials

/// A book as the services hold and answer it (contracts/rest/book/v2). `isbn` and `tags` arrived with
/// `book.added` v2; v1 books simply lack them. `published` is the year as the original API writes it: 1 to 4
/// ASCII digits, as the client sent them, or written out from the integer it sent (`Book.year(_:)`).
package struct Book: Sendable, Equatable, Codable {
    package var id: UUID
    package var title: String
    package var author: String
    package var published: String
    package var isbn: String?
    package var tags: [String]?

    package init(id: UUID, title: String, author: String, published: String, isbn: String? = nil, tags: [String]? = nil) {
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

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(UUID.self, forKey: .id)
        title = try container.decode(String.self, forKey: .title)
        author = try container.decode(String.self, forKey: .author)
        published = try container.decode(String.self, forKey: .published)
        isbn = try container.decodeIfPresent(String.self, forKey: .isbn)
        tags = try container.decodeIfPresent([String].self, forKey: .tags)
    }

    package func encode(to encoder: any Encoder) throws {
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
    package static func year(_ integer: Int) -> String {
        String(integer)
    }

    /// `published` from a JSON year: a string as it is, an integer (`1969.0` included) written out; nil for
    /// anything else. The contracts have checked the value before this reads it.
    package static func year(_ value: JSONValue) -> String? {
        if let text = value.string { return text }
        return value.int.map(year)
    }
}
