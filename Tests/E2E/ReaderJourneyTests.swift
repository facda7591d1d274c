import Foundation
import XCTest

/// A reader keeps track of books: adds them, sees them listed, finishes some, and looks at what they read
/// last.
final class ReaderJourneyTests: XCTestCase {
    func testAddedBooksAreListedInTheOrderAddedWithEverythingTheReaderGave() async throws {
        // Added one after the other (the second once the first was accepted), so "the order added" is
        // unambiguous even though the log spreads books over partitions.
        let shelf = try Bookshelf.fromEnvironment()
        let dune = try await shelf.add(title: Bookshelf.uniqueTitle("Dune"), author: "Frank Herbert", published: "1965")
        let earthsea = try await shelf.add(title: Bookshelf.uniqueTitle("A Wizard of Earthsea"), author: "Ursula K. Le Guin", published: "1968")
        XCTAssertNotEqual(dune.book.id, earthsea.book.id)
        XCTAssertEqual(dune.book.author, "Frank Herbert")
        XCTAssertEqual(dune.book.published, "1965")

        let books = try await shelf.books(after: [dune.position, earthsea.position])

        let mine = books.filter { [dune.book.id, earthsea.book.id].contains($0.id) }
        XCTAssertEqual(mine, [dune.book, earthsea.book], "both books, as added, in the order added")
    }

    func testFinishedBooksShowNewestFirstAtMostFiveAndEachOnce() async throws {
        let shelf = try Bookshelf.fromEnvironment()
        var books: [Bookshelf.Book] = []
        var positions: [String] = []
        for number in 1...6 {
            let added = try await shelf.add(title: Bookshelf.uniqueTitle("Series volume \(number)"))
            books.append(added.book)
            positions.append(added.position)
        }
        for book in books {
            positions.append(try await shelf.finish(book, after: positions))
        }
        // Finishing a book again moves it to the front instead of listing it twice.
        positions.append(try await shelf.finish(books[2], after: positions))

        let lastRead = try await shelf.lastRead(after: positions)

        XCTAssertEqual(lastRead, [books[2], books[5], books[4], books[3], books[1]])
    }

    func testAReaderSeesTheirOwnWriteAtOnceWhenTheyAskForIt() async throws {
        let shelf = try Bookshelf.fromEnvironment()
        let added = try await shelf.add(title: Bookshelf.uniqueTitle("Read your writes"))
        XCTAssertFalse(added.position.isEmpty, "a write answers X-Bookshelf-Position")
        let listed = try await shelf.books(after: [added.position])
        XCTAssertTrue(listed.contains(added.book), "the list read at the write's position holds the new book")

        let finished = try await shelf.finish(added.book, after: [added.position])
        XCTAssertFalse(finished.isEmpty, "finishing answers X-Bookshelf-Position")
        let lastRead = try await shelf.lastRead(after: [finished])
        XCTAssertEqual(lastRead.first, added.book, "the last-read view at the finish's position starts with the book")
    }

    func testAListReadAnswersWithThePositionItReflects() async throws {
        let shelf = try Bookshelf.fromEnvironment()
        _ = try await shelf.add(title: Bookshelf.uniqueTitle("Position echo"))
        let reply = try await shelf.send("GET", "/bookshelf/books")
        XCTAssertEqual(reply.status, 200, "\(reply)")
        let position = try XCTUnwrap(reply.header("X-Bookshelf-Position"), "a view's answer says what it has applied")

        let again = try await shelf.send("GET", "/bookshelf/books", headers: ["X-Bookshelf-Min-Position": position])
        XCTAssertEqual(again.status, 200, "asking for what the view already reflects answers at once: \(again)")
    }
}
