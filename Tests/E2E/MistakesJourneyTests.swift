import Foundation
import XCTest

/// A visitor gets things wrong: unknown and malformed ids, bodies that are not books, the wrong media
/// type. Each mistake is answered with a problem that says what to fix, and none of them adds a book.
final class MistakesJourneyTests: XCTestCase {
    func testFinishingABookThatDoesNotExistIsNotFound() async throws {
        let shelf = try Bookshelf.fromEnvironment()
        let reply = try await shelf.send("POST", "/bookshelf/books/\(UUID().uuidString.lowercased())/finished")
        assertProblem(reply, status: 404, "an unknown book id")
    }

    func testAMalformedBookIdIsABadRequest() async throws {
        let shelf = try Bookshelf.fromEnvironment()
        for id in ["not-a-uuid", "12345", "\(UUID().uuidString.lowercased())x"] {
            let reply = try await shelf.send("POST", "/bookshelf/books/\(id)/finished")
            assertProblem(reply, status: 400, "finishing book id '\(id)'")
        }
    }

    /// The original API sends the whole book to …/finished: a body that names another book, or is no book
    /// at all, is refused and finishes nothing.
    func testFinishingWithABodyThatIsNotThisBookIsRefused() async throws {
        let shelf = try Bookshelf.fromEnvironment()
        let added = try await shelf.add(title: Bookshelf.uniqueTitle("Mixed up"))
        let path = "/bookshelf/books/\(added.book.id)/finished"
        let headers = ["X-Bookshelf-Min-Position": added.position]
        let other = Data(#"{"id": "\#(UUID().uuidString.lowercased())", "title": "Another book", "author": "A", "published": "1970"}"#.utf8)
        let mismatch = try await shelf.send("POST", path, body: other, headers: headers)
        assertProblem(mismatch, status: 409, "a finish whose body names another book")
        XCTAssertEqual((mismatch.json as? [String: Any])?["code"] as? String, "id-mismatch", "\(mismatch)")
        assertProblem(try await shelf.send("POST", path, body: Data("[]".utf8), headers: headers), status: 400, "a finish whose body is an array")
        assertProblem(try await shelf.send("POST", path, body: Data("{".utf8), headers: headers), status: 400, "a finish whose body is not JSON")
        assertProblem(try await shelf.send("POST", path, body: Data("finished".utf8), contentType: "text/plain", headers: headers), status: 415, "a finish sent as text")
        let lastRead = try await shelf.lastRead(after: [added.position])
        XCTAssertFalse(lastRead.contains(added.book), "a refused finish finishes nothing")
    }

    func testAPathOrMethodTheAPIDoesNotHaveIsAnsweredAsSuch() async throws {
        let shelf = try Bookshelf.fromEnvironment()
        assertProblem(try await shelf.send("GET", "/bookshelf/shelves"), status: 404, "an unknown path")
        let wrongMethod = try await shelf.send("DELETE", "/bookshelf/books")
        assertProblem(wrongMethod, status: 405, "DELETE on the book list")
        XCTAssertNotNil(wrongMethod.header("Allow"), "a 405 names the methods that work: \(wrongMethod)")
    }

    func testEveryKindOfBadBookIsRefusedAndNothingIsCreated() async throws {
        let shelf = try Bookshelf.fromEnvironment()
        let marker = Bookshelf.uniqueTitle("Never added")
        func json(_ object: Any) -> Data { try! JSONSerialization.data(withJSONObject: object) }
        let mistakes: [(String, Data, String?, Int)] = [
            ("not JSON", Data("{\"title\": \"\(marker)\",".utf8), "application/json", 400),
            ("an array", json([["title": marker, "author": "A", "published": 2000]]), "application/json", 400),
            ("an empty object", json([String: Any]()), "application/json", 400),
            ("no author", json(["title": marker, "published": 2000]), "application/json", 400),
            ("a blank title", json(["title": "   ", "author": marker, "published": 2000]), "application/json", 400),
            ("a year in words", json(["title": marker, "author": "A", "published": "two thousand"]), "application/json", 400),
            ("a year of five digits", json(["title": marker, "author": "A", "published": "20000"]), "application/json", 400),
            ("a negative year", json(["title": marker, "author": "A", "published": -5]), "application/json", 400),
            ("an unknown property", json(["title": marker, "author": "A", "published": 2000, "rating": 5]), "application/json", 400),
            ("an id chosen by the client", json(["id": UUID().uuidString.lowercased(), "title": marker, "author": "A", "published": 2000]), "application/json", 400),
            ("plain text", Data("\(marker) by A, 2000".utf8), "text/plain", 415),
            ("a huge body", json(["title": marker, "author": String(repeating: "a", count: 200_000), "published": 2000]), "application/json", 413),
        ]
        let before = try await shelf.books()

        for (mistake, body, contentType, status) in mistakes {
            let reply = try await shelf.add(body: body, contentType: contentType)
            assertProblem(reply, status: status, "a book with \(mistake)")
        }

        // A good book afterwards, read at its position: the list grew by exactly that book.
        let sentinel = try await shelf.add(title: Bookshelf.uniqueTitle("Sentinel"))
        let after = try await shelf.books(after: [sentinel.position])
        XCTAssertFalse(after.contains { $0.title == marker || $0.author == marker }, "a refused book must not appear")
        XCTAssertEqual(Set(after).subtracting(before), [sentinel.book], "only the sentinel was added")
    }
}
