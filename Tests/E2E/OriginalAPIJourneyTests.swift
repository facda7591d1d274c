import Foundation
import XCTest

/// A client written against the original Bookshelf's documented examples (its docs/usage.rst) keeps
/// working: its requests are sent byte for byte, tabs included, and its answers have the original's fields
/// with the original's JSON types. No header of ours rides along: a view may lag a moment behind a write
/// (the original's views did too), so the visitor looks again until the book shows.
final class OriginalAPIJourneyTests: XCTestCase {
    /// The documented `POST /bookshelf/books` body, exactly as written.
    static let documentedAdd = Data("{\n         \"title\": \"1984\",\n\t \"author\": \"George Orwell\",\n\t \"published\": \"1949\"\n      }".utf8)

    /// The documented body of `POST …/{id}/finished`: the whole book, written as the add was.
    static func documentedFinish(id: String) -> Data {
        Data("{\n         \"id\": \"\(id)\",\n\t \"title\": \"1984\",\n\t \"author\": \"George Orwell\",\n\t \"published\": \"1949\"\n      }".utf8)
    }

    /// The three documented requests in the order the documentation gives them.
    func testTheDocumentedRequestsReplayedInOrder() async throws {
        let shelf = try Bookshelf.fromEnvironment()

        let created = try await shelf.send("POST", "/bookshelf/books", body: Self.documentedAdd, contentType: "application/json")
        XCTAssertEqual(created.status, 201, "\(created)")
        XCTAssertEqual(created.header("Content-Type")?.split(separator: ";").first, "application/json", "\(created)")
        let book = try Self.assertOriginalBook(created.json, title: "1984", author: "George Orwell", published: "1949")
        XCTAssertNotNil(UUID(uuidString: book.id), "the id is a UUID: \(created)")

        // Straight after the add, as the documentation's client does: book-read catches up with the log
        // before it would call the book unknown.
        let finished = try await shelf.send(
            "POST", "/bookshelf/books/\(book.id)/finished", body: Self.documentedFinish(id: book.id), contentType: "application/json"
        )
        XCTAssertEqual(finished.status, 204, "\(finished)")
        XCTAssertTrue(finished.body.isEmpty, "204 has no body: \(finished)")

        let lastRead = try await shelf.eventually("last-read showing the book just finished") {
            let reply = try await shelf.send("GET", "/bookshelf/books/last/read")
            let newest = (reply.json as? [Any])?.first as? [String: Any]
            return reply.status == 200 && newest?["id"] as? String == book.id ? reply : nil
        }
        XCTAssertEqual(lastRead.status, 200, "\(lastRead)")
        XCTAssertEqual(lastRead.header("Content-Type")?.split(separator: ";").first, "application/json", "\(lastRead)")
        let items = try XCTUnwrap(lastRead.json as? [Any], "the last read books are an array: \(lastRead)")
        let first = try Self.assertOriginalBook(items.first, title: "1984", author: "George Orwell", published: "1949")
        XCTAssertEqual(first, book, "the book just finished comes first, as it was added")
    }

    /// A client of our earlier API sends the year as an integer: still accepted, and answered as the string the
    /// original's clients expect, in the list as in the answer to the add.
    func testAnIntegerYearIsAcceptedAndAnsweredAsAString() async throws {
        let shelf = try Bookshelf.fromEnvironment()
        let title = Bookshelf.uniqueTitle("Nineteen Eighty-Four")
        let body = try JSONSerialization.data(withJSONObject: ["title": title, "author": "George Orwell", "published": 1949])
        let created = try await shelf.add(body: body)
        XCTAssertEqual(created.status, 201, "\(created)")
        let book = try Self.assertOriginalBook(created.json, title: title, author: "George Orwell", published: "1949")

        let list = try await shelf.send("GET", "/bookshelf/books", headers: ["X-Bookshelf-Min-Position": created.header("X-Bookshelf-Position") ?? ""])
        XCTAssertEqual(list.status, 200, "\(list)")
        let listed = try XCTUnwrap((list.json as? [Any])?.first { ($0 as? [String: Any])?["id"] as? String == book.id }, "the list holds the book: \(list)")
        XCTAssertEqual(try Self.assertOriginalBook(listed, title: title, author: "George Orwell", published: "1949"), book)
    }

    /// Finishing without a body, as our earlier API documented it, still works.
    func testFinishingWithoutABodyStillWorks() async throws {
        let shelf = try Bookshelf.fromEnvironment()
        let added = try await shelf.add(title: Bookshelf.uniqueTitle("No body"))
        let reply = try await shelf.send("POST", "/bookshelf/books/\(added.book.id)/finished", contentType: nil, headers: ["X-Bookshelf-Min-Position": added.position])
        XCTAssertEqual(reply.status, 204, "\(reply)")
    }

    /// The original's book: exactly its four fields as JSON strings (our optional isbn and tags are absent
    /// when the client sent none).
    @discardableResult
    static func assertOriginalBook(
        _ value: Any?, title: String, author: String, published: String, file: StaticString = #filePath, line: UInt = #line
    ) throws -> Bookshelf.Book {
        let object = try XCTUnwrap(value as? [String: Any], "not a JSON object: \(String(describing: value))", file: file, line: line)
        XCTAssertEqual(Set(object.keys), ["id", "title", "author", "published"], "the original's fields: \(object)", file: file, line: line)
        for field in ["id", "title", "author", "published"] {
            XCTAssertTrue(object[field] is String, "\(field) is a JSON string as in the original: \(object)", file: file, line: line)
        }
        let book = try XCTUnwrap(Bookshelf.Book(object), "\(object)", file: file, line: line)
        XCTAssertEqual(book.title, title, file: file, line: line)
        XCTAssertEqual(book.author, author, file: file, line: line)
        XCTAssertEqual(book.published, published, file: file, line: line)
        return book
    }
}
