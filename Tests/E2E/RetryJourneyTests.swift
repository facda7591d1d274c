import Foundation
import XCTest

/// A visitor on a bad connection sends the same book twice with the same Idempotency-Key: one book.
final class RetryJourneyTests: XCTestCase {
    func testARetryWithTheSameKeyAnswersTheSameBookAndAddsNothing() async throws {
        let shelf = try Bookshelf.fromEnvironment()
        let key = "e2e-retry-\(UUID().uuidString)"
        let title = Bookshelf.uniqueTitle("Sent twice")

        let first = try await shelf.add(title: title, idempotencyKey: key)
        let retry = try await shelf.add(body: Bookshelf.bookJSON(title: title), idempotencyKey: key)

        XCTAssertEqual(retry.status, 201, "\(retry)")
        XCTAssertEqual(Bookshelf.Book(retry.json), first.book, "the retry answers the first attempt's book")
        XCTAssertEqual(retry.header("Idempotent-Replayed"), "true", "\(retry)")
        let sentinel = try await shelf.add(title: Bookshelf.uniqueTitle("After the retry"))
        let books = try await shelf.books(after: [first.position, sentinel.position])
        XCTAssertEqual(books.filter { $0.title == title }, [first.book], "exactly one book for the two requests")
    }

    func testTheSameKeyWithADifferentBookStillAnswersTheFirstBook() async throws {
        let shelf = try Bookshelf.fromEnvironment()
        let key = "e2e-retry-\(UUID().uuidString)"
        let first = try await shelf.add(title: Bookshelf.uniqueTitle("First intent"), idempotencyKey: key)

        let second = try await shelf.add(body: Bookshelf.bookJSON(title: Bookshelf.uniqueTitle("Second intent")), idempotencyKey: key)

        XCTAssertEqual(Bookshelf.Book(second.json), first.book, "a key names one write, whatever is sent with it later: \(second)")
    }
}
