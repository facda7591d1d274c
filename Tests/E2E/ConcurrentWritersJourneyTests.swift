import Foundation
import XCTest

/// A whole book club adds books at the same moment: every book someone was told was added is listed,
/// exactly once.
final class ConcurrentWritersJourneyTests: XCTestCase {
    func testManyWritersAtOnceEachBookListedExactlyOnce() async throws {
        let shelf = try Bookshelf.fromEnvironment()
        let writers = 48
        let run = UUID().uuidString.prefix(8).lowercased()

        let accepted = try await withThrowingTaskGroup(of: (Bookshelf.Book, String)?.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    // Each writer retries a refusal (503 while the stack is busy) with the same key, as a
                    // careful client does; the key keeps a retry from adding the book twice.
                    let key = "e2e-club-\(run)-\(writer)"
                    let body = Bookshelf.bookJSON(title: "Club \(run) pick \(writer)", published: String(1900 + writer))
                    for _ in 0..<10 {
                        let reply = try await shelf.add(body: body, idempotencyKey: key)
                        if reply.status == 201, let book = Bookshelf.Book(reply.json) {
                            return (book, reply.header("X-Bookshelf-Position") ?? "")
                        }
                        guard reply.status == 503 || reply.status == 409 else {
                            XCTFail("writer \(writer): \(reply)")
                            return nil
                        }
                        try await Task.sleep(for: .milliseconds(200))
                    }
                    XCTFail("writer \(writer) was refused ten times")
                    return nil
                }
            }
            return try await group.reduce(into: [(Bookshelf.Book, String)]()) { if let result = $1 { $0.append(result) } }
        }

        XCTAssertEqual(accepted.count, writers, "every writer got its book added")
        XCTAssertEqual(Set(accepted.map(\.0.id)).count, accepted.count, "each accepted book has its own id")
        let books = try await shelf.books(after: accepted.map(\.1))
        let club = books.filter { $0.title.hasPrefix("Club \(run) ") }
        XCTAssertEqual(club.count, writers, "one book per writer, no duplicates")
        XCTAssertEqual(Set(club), Set(accepted.map(\.0)), "exactly the accepted books, as accepted")
    }
}
