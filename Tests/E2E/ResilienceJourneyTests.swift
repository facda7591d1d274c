import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest

/// Things go wrong behind the gateway of a `bookshelf up` stack: a view dies, the broker goes away. The
/// reader notices at most a refusal to retry; nothing they were told was added is ever lost.
final class ResilienceJourneyTests: XCTestCase {
    func testAKilledViewComesBackWithEveryBookRebuiltFromTheLog() async throws {
        let shelf = try Bookshelf.fromEnvironment()
        let stack = try RunningStack.fromEnvironment()
        var added: [Bookshelf.Book] = []
        var positions: [String] = []
        for number in 1...3 {
            let result = try await shelf.add(title: Bookshelf.uniqueTitle("Before the crash \(number)"))
            added.append(result.book)
            positions.append(result.position)
        }
        positions.append(try await shelf.finish(added[0], after: positions))
        let everyBookBefore = try await shelf.books(after: positions)

        for view in ["list-books", "last-read"] {
            let old = try stack.pid(of: view)
            try stack.signal(view, SIGKILL)
            _ = try await stack.waitForRestart(of: view, replacing: old)
        }

        let everyBookAfter = try await shelf.eventually("the restarted list-books answering") {
            let reply = try await shelf.send("GET", "/bookshelf/books", headers: ["X-Bookshelf-Min-Position": positions.joined(separator: ",")])
            return reply.status == 200 ? (reply.json as? [Any])?.compactMap(Bookshelf.Book.init) : nil
        }
        XCTAssertEqual(everyBookAfter.count, everyBookBefore.count, "the rebuilt list has as many books as before the crash")
        XCTAssertEqual(Set(everyBookAfter), Set(everyBookBefore), "the rebuilt list holds every book from before the crash")
        XCTAssertEqual(
            everyBookAfter.filter(added.contains), added,
            "books added one after the other must still be listed in the order added after a rebuild, "
                + "not in the order the replay happened to read the partitions"
        )
        let lastRead = try await shelf.lastRead(after: positions)
        XCTAssertEqual(lastRead.first, added[0], "the rebuilt last-read view remembers the finished book")
    }

    func testWritesWhileTheBrokerIsDownAreRefusedAndSucceedOnceItIsBack() async throws {
        let shelf = try Bookshelf.fromEnvironment()
        let stack = try RunningStack.fromEnvironment()
        let before = try await shelf.add(title: Bookshelf.uniqueTitle("Before the outage"))
        let everyBookBefore = try await shelf.books(after: [before.position])
        let key = "e2e-outage-\(UUID().uuidString)"
        let title = Bookshelf.uniqueTitle("During the outage")

        try stack.signal("broker", SIGUSR1)
        var brokerIsDown = true
        defer { if brokerIsDown { try? stack.signal("broker", SIGUSR2) } }
        let refused = try await shelf.add(body: Bookshelf.bookJSON(title: title), idempotencyKey: key)
        assertProblem(refused, status: 503, "adding a book while the broker is down")
        XCTAssertNotNil(refused.header("Retry-After"), "a 503 says when to retry: \(refused)")

        try stack.signal("broker", SIGUSR2)
        brokerIsDown = false
        let accepted = try await shelf.eventually("the retried write being accepted") {
            let reply = try await shelf.add(body: Bookshelf.bookJSON(title: title), idempotencyKey: key)
            return reply.status == 201 ? (Bookshelf.Book(reply.json), reply.header("X-Bookshelf-Position") ?? "") : nil
        }

        let book = try XCTUnwrap(accepted.0)
        let books = try await shelf.books(after: [before.position, accepted.1])
        XCTAssertTrue(Set(everyBookBefore).isSubset(of: books), "every book listed before the outage is still there")
        XCTAssertEqual(books.filter { $0.title == title }, [book], "the book written after the outage, once")
    }
}
