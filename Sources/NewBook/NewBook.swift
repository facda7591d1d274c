import BookshelfJSON
import FoundationEssentials
import ServiceKit

/// new-book's memory, rebuilt by replay: which `Idempotency-Key` added which book (keys travel in the
/// `book.added` data, so they survive restarts), and which keys have a write in flight right now.
public struct NewBookState: Projection {
    private var seen = SeenEvents()
    public private(set) var booksByKey: [String: Book] = [:]
    private var inFlight: Set<String> = []

    public init() {}

    public mutating func apply(_ event: BookEvent) -> ApplyOutcome {
        guard seen.insert(event.id) else { return .duplicate }
        if case .added(let book, let key?) = event.kind, booksByKey[key] == nil {
            booksByKey[key] = book
        }
        return .applied
    }

    /// What to do with a POST, decided atomically against this state.
    public enum Decision: Equatable, Sendable {
        /// Produce this event; answer with its book once the broker acknowledged it.
        case produce(BookEvent)
        /// The key already added a book: answer with it and produce nothing.
        case replay(Book)
    }

    /// Validates the body against the new-book request contract, then decides. With a key, the key is
    /// reserved until `finish(key:with:)`, so a concurrent retry gets 409 instead of a second book.
    public mutating func decide(
        body: some Collection<UInt8>, idempotencyKey: String?, bookID: UUID, eventID: UUID, now: Date
    ) throws(Problem) -> Decision {
        if let key = idempotencyKey {
            guard NewBookRequest.isUsableKey(key) else {
                throw Problem.badRequest(code: "invalid-idempotency-key", "Idempotency-Key must be 1 to 255 visible ASCII characters.")
            }
            if let book = booksByKey[key] { return .replay(book) }
            guard !inFlight.contains(key) else {
                throw Problem(
                    status: .conflict, code: "idempotency-key-in-use",
                    detail: "A request with this Idempotency-Key is still being processed; retry once it has answered.",
                    isRetryable: true, retryAfter: 1
                )
            }
        }
        let request = try NewBookRequest(validating: body)
        let book = Book(id: bookID, title: request.title, author: request.author, published: request.published, isbn: request.isbn, tags: request.tags)
        if let key = idempotencyKey { inFlight.insert(key) }
        return .produce(BookEvent(id: eventID, time: now, kind: .added(book, idempotencyKey: idempotencyKey)))
    }

    /// Ends a reservation: with the book when the broker acknowledged it (so a retry finds it before the
    /// event comes back through the topic), with nil when producing failed (nothing was written).
    public mutating func finish(key: String, with book: Book?) {
        inFlight.remove(key)
        if let book, booksByKey[key] == nil { booksByKey[key] = book }
    }
}

/// The body of `POST /bookshelf/books`, checked by the rules of contracts/rest/new-book-request: a closed
/// object with `title`, `author` (1–200 code points, not blank), `published` (a year, 1–9999) and the
/// optional `isbn` (ISBN-10 or ISBN-13 digits) and `tags` (at most 20 unique strings of 1–32 code points).
public struct NewBookRequest: Equatable, Sendable {
    public var title: String
    public var author: String
    public var published: Int
    public var isbn: String?
    public var tags: [String]?

    public init(validating body: some Collection<UInt8>) throws(Problem) {
        do {
            _ = try JSONValue(parsing: body, rejectingDuplicateKeys: true)
        } catch {
            throw Problem.badRequest(code: "malformed-json", "The body is not valid JSON: \(error.message) (line \(error.line), column \(error.column)).")
        }
        guard let value = try? JSONDecoder().decode(Input.self, from: Data(body)) else {
            throw Problem.badRequest(code: "malformed-json", "The body is not valid JSON.")
        }
        guard case .object(let object) = value else {
            throw Self.invalid(["/: must be an object"])
        }
        var errors: [String] = []
        for key in object.keys.sorted() where !["title", "author", "published", "isbn", "tags"].contains(key) {
            errors.append(key == "id" ? "/id: the server assigns the id; do not send one" : "/\(key): unknown property")
        }
        let title = Self.text(object["title"], "title", &errors)
        let author = Self.text(object["author"], "author", &errors)
        var published = 0
        switch object["published"] {
        case .number(let number)? where number.rounded() == number && (1...9999).contains(number):
            published = Int(number)
        case nil: errors.append("/published: required")
        default: errors.append("/published: must be a year from 1 to 9999")
        }
        var isbn: String?
        switch object["isbn"] {
        case nil: break
        case .string(let text)? where Self.isISBN(text): isbn = text
        default: errors.append("/isbn: must be ISBN-10 or ISBN-13 digits without hyphens")
        }
        var tags: [String]?
        switch object["tags"] {
        case nil: break
        case .array(let items)?:
            let strings = items.compactMap { item -> String? in
                if case .string(let text) = item, (1...32).contains(text.unicodeScalars.count) { return text }
                return nil
            }
            if strings.count != items.count { errors.append("/tags: each tag must be a string of 1 to 32 characters") }
            if items.count > 20 { errors.append("/tags: at most 20 tags") }
            if Set(strings).count != strings.count { errors.append("/tags: each tag at most once") }
            tags = strings
        default: errors.append("/tags: must be an array of strings")
        }
        guard errors.isEmpty, let title, let author else { throw Self.invalid(errors) }
        self.title = title
        self.author = author
        self.published = published
        self.isbn = isbn
        self.tags = tags
    }

    static func isUsableKey(_ key: String) -> Bool {
        (1...255).contains(key.utf8.count) && key.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }

    private static func text(_ value: Input?, _ name: String, _ errors: inout [String]) -> String? {
        guard let value else {
            errors.append("/\(name): required")
            return nil
        }
        guard case .string(let text) = value, (1...200).contains(text.unicodeScalars.count),
              text.unicodeScalars.contains(where: { !" \t\r\n".unicodeScalars.contains($0) }) else {
            errors.append("/\(name): must be text of 1 to 200 characters, not only spaces")
            return nil
        }
        return text
    }

    private static func isISBN(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let digit: (UInt8) -> Bool = { (0x30...0x39).contains($0) }
        if bytes.count == 10 { return bytes.prefix(9).allSatisfy(digit) && (digit(bytes[9]) || bytes[9] == UInt8(ascii: "X")) }
        if bytes.count == 13 { return bytes.allSatisfy(digit) && bytes[0] == 0x39 && bytes[1] == 0x37 && (bytes[2] == 0x38 || bytes[2] == 0x39) }
        return false
    }

    private static func invalid(_ errors: [String]) -> Problem {
        Problem.badRequest(
            code: "invalid-body",
            "The body does not match the new-book request contract: " + errors.joined(separator: "; ") + ".",
            extensions: ["errors": errors.joined(separator: "\n")]
        )
    }

    /// JSON as the contract sees it: booleans are not numbers and 1969.0 is the integer 1969.
    private enum Input: Decodable {
        case null, bool(Bool), number(Double), string(String), array([Input]), object([String: Input])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else if let value = try? container.decode([Input].self) {
                self = .array(value)
            } else {
                self = .object(try container.decode([String: Input].self))
            }
        }
    }
}
