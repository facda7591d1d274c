import BookRead
import BookshelfJSON
import BookshelfContracts
import Foundation
import LastRead
import ListBooks
import NewBook
import BookshelfDomain
import BookshelfServiceKit
import Testing

func book(_ title: String, id: UUID = UUID()) -> Book {
    Book(id: id, title: title, author: "Author of \(title)", published: "2001")
}

func added(_ book: Book, key: String? = nil, id: UUID = UUID(), time: Date = Date()) -> BookEvent {
    BookEvent(id: id, time: time, kind: .added(book, idempotencyKey: key))
}

func finished(_ book: Book, at seconds: TimeInterval, id: UUID = UUID()) -> BookEvent {
    BookEvent(id: id, time: Date(timeIntervalSince1970: seconds), kind: .finished(bookID: book.id))
}

@Suite struct NewBookTests {
    let body = Array(#"{"title":"Dune","author":"Frank Herbert","published":1965.0,"tags":["sf"]}"#.utf8)

    @Test func assignsAnIDAndBuildsTheEvent() throws {
        var state = NewBookState()
        let bookID = UUID()
        let decision = try state.decide(body: body, contracts: repositoryContracts, idempotencyKey: nil, bookID: bookID, eventID: UUID(), now: Date())
        guard case .produce(let event) = decision, case .added(let book, nil) = event.kind else { Issue.record("expected an event"); return }
        #expect(book == Book(id: bookID, title: "Dune", author: "Frank Herbert", published: "1965", tags: ["sf"]))
        #expect(event.key == bookID.uuidString.lowercased())
    }

    /// Each body names the violation the contract's validator reports: where (instance pointer) and which keyword.
    @Test func rejectsWhatTheContractRejects() throws {
        let cases: [(body: String, at: String, keyword: String)] = [
            (#"{"title":"Dune","author":"F","published":1965,"id":"6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31"}"#, "", "additionalProperties"),
            (#"{"title":"   ","author":"F","published":1965}"#, "/title", "pattern"),
            (#"{"title":"Dune","author":"F"}"#, "", "required"),
            (#"{"title":"Dune","author":"F","published":"19650"}"#, "/published", "pattern"),
            (#"{"title":"Dune","author":"F","published":"1965\n"}"#, "/published", "pattern"),
            (#"{"title":"Dune","author":"F","published":true}"#, "/published", "type"),
            (#"{"title":"Dune","author":"F","published":0}"#, "/published", "minimum"),
            (#"{"title":"Dune","author":"F","published":1965,"isbn":"978-0441013593"}"#, "/isbn", "pattern"),
            (#"{"title":"Dune","author":"F","published":1965,"tags":["a","a"]}"#, "/tags", "uniqueItems"),
            (#"[1]"#, "", "type"),
            (#"{"title":"Dune","author":"F","published":1965,"colour":"red"}"#, "", "additionalProperties"),
        ]
        for (text, at, keyword) in cases {
            var state = NewBookState()
            #expect(throws: Problem.self, "\(text)") {
                try state.decide(body: Array(text.utf8), contracts: repositoryContracts, idempotencyKey: nil, bookID: UUID(), eventID: UUID(), now: Date())
            }
            #expect(throws: Problem.self, "\(text)") { try NewBookRequest(validating: Array(text.utf8), against: repositoryContracts) }
            do {
                _ = try NewBookRequest(validating: Array(text.utf8), against: repositoryContracts)
            } catch {
                #expect(error.status == .badRequest)
                #expect(error.errors.contains { $0.instanceLocation == at && $0.keywordLocation.hasSuffix("/" + keyword) },
                        "\(text): \(error.errors) should include \(keyword) at '\(at)'")
                #expect(error.detail.contains((at.isEmpty ? "/" : at) + ": "), "\(error.detail) should name \(at)")
            }
        }
        #expect(throws: Problem.self) { try NewBookRequest(validating: Array("{".utf8), against: repositoryContracts) }
    }

    /// The original API's documented request, tabs and all, and the integers of existing clients: the book
    /// answers the year as a string either way.
    @Test func takesTheYearAsTheOriginalAPIAndExistingClientsSendIt() throws {
        let original = "{\n         \"title\": \"1984\",\n\t \"author\": \"George Orwell\",\n\t \"published\": \"1949\"\n      }"
        let request = try NewBookRequest(validating: Array(original.utf8), against: repositoryContracts)
        #expect(request.title == "1984" && request.author == "George Orwell" && request.published == "1949")
        for (sent, kept) in [("1949", "1949"), ("1969.0", "1969"), ("7", "7"), (#""0975""#, "0975")] {
            let body = #"{"title":"T","author":"A","published":"# + sent + "}"
            #expect(try NewBookRequest(validating: Array(body.utf8), against: repositoryContracts).published == kept, "\(sent)")
        }
    }

    @Test func aClientChosenIDIsExplained() {
        let text = #"{"title":"Dune","author":"F","published":1965,"id":"6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31"}"#
        #expect { try NewBookRequest(validating: Array(text.utf8), against: repositoryContracts) } throws: {
            ($0 as? Problem)?.detail.contains("The server assigns the id") == true
        }
    }

    /// contracts/rest/problem says `errors` is an array of violations; the 400 must follow its own contract.
    @Test func theRefusalFollowsTheProblemContract() throws {
        let text = #"{"title":"","author":"F","published":1965,"x":1}"#
        do {
            _ = try NewBookRequest(validating: Array(text.utf8), against: repositoryContracts)
            Issue.record("expected a refusal")
        } catch {
            let body = try JSONValue(parsing: Array(error.body(instance: "/bookshelf/books", namespace: "urn:bookshelf:problem:")))
            #expect(try repositoryContracts.violations(of: body, against: "https://bookshelf.example/contracts/rest/problem/problem.schema.json").isEmpty)
            // The empty title fails minLength and pattern, the unknown property additionalProperties.
            let locations = body["errors"].map { $0.elements.compactMap { $0["instanceLocation"]?.string } } ?? []
            #expect(locations.sorted() == ["", "/title", "/title"])
        }
    }

    /// The contract's own examples get the verdict their folder states; version 1's valid requests stay valid.
    @Test func theContractExamplesGetTheirVerdicts() throws {
        let folder = repositoryContractsFolder + "/rest/new-book-request/v2/examples"
        for file in try FileManager.default.contentsOfDirectory(atPath: repositoryContractsFolder + "/rest/new-book-request/examples/valid") {
            let bytes = try #require(FileManager.default.contents(atPath: repositoryContractsFolder + "/rest/new-book-request/examples/valid/" + file))
            #expect((try? NewBookRequest(validating: Array(bytes), against: repositoryContracts)) != nil, "version 1 request \(file)")
        }
        for verdict in ["valid", "invalid"] {
            let files = try FileManager.default.contentsOfDirectory(atPath: "\(folder)/\(verdict)").filter { $0.hasSuffix(".json") }
            #expect(!files.isEmpty)
            for file in files {
                let document = try JSONValue(contentsOfFile: "\(folder)/\(verdict)/\(file)")
                let instance = verdict == "invalid" ? document["instance"] : document
                guard let instance else { Issue.record("\(file) has no instance"); continue }
                let accepted = (try? NewBookRequest(validating: Array(instance.serializedBytes(sortedKeys: false)), against: repositoryContracts)) != nil
                #expect(accepted == (verdict == "valid"), "\(verdict)/\(file)")
            }
        }
    }

    @Test func aKeyIsReservedThenRemembered() throws {
        var state = NewBookState()
        guard case .produce(let event) = try state.decide(body: body, contracts: repositoryContracts, idempotencyKey: "k", bookID: UUID(), eventID: UUID(), now: Date()),
              case .added(let book, "k") = event.kind else { Issue.record("expected an event carrying the key"); return }
        #expect(throws: Problem.self) { try state.decide(body: body, contracts: repositoryContracts, idempotencyKey: "k", bookID: UUID(), eventID: UUID(), now: Date()) }
        state.idempotencyKeys.finish(key: "k", with: (book, EventPosition(partition: 2, offset: 7)))
        #expect(try state.decide(body: body, contracts: repositoryContracts, idempotencyKey: "k", bookID: UUID(), eventID: UUID(), now: Date()) == .replay(book, position: EventPosition(partition: 2, offset: 7)))
    }

    @Test func aFailedWriteFreesTheKey() throws {
        var state = NewBookState()
        _ = try state.decide(body: body, contracts: repositoryContracts, idempotencyKey: "k", bookID: UUID(), eventID: UUID(), now: Date())
        state.idempotencyKeys.finish(key: "k", with: nil)
        guard case .produce = try state.decide(body: body, contracts: repositoryContracts, idempotencyKey: "k", bookID: UUID(), eventID: UUID(), now: Date()) else {
            Issue.record("a key whose write failed must be usable again"); return
        }
    }

    @Test func keysAreRebuiltFromEvents() throws {
        var state = NewBookState()
        let dune = book("Dune")
        let event = added(dune, key: "k")
        #expect(state.apply(event) == .applied)
        #expect(state.apply(event) == .duplicate)
        #expect(try state.decide(body: body, contracts: repositoryContracts, idempotencyKey: "k", bookID: UUID(), eventID: UUID(), now: Date()) == .replay(dune, position: nil))
    }
}

@Suite struct BookReadTests {
    @Test func finishesKnownBooksOnly() throws {
        var known = KnownBooks()
        let dune = book("Dune")
        _ = known.apply(added(dune))
        let event = try known.finish(rawID: dune.id.uuidString.lowercased(), caughtUp: true, eventID: UUID(), now: Date())
        #expect(event.kind == .finished(bookID: dune.id))
        let unknown = UUID().uuidString.lowercased()
        #expect { try known.finish(rawID: unknown, caughtUp: true, eventID: UUID(), now: Date()) } throws: { ($0 as? Problem)?.status == .notFound }
        #expect { try known.finish(rawID: unknown, caughtUp: false, eventID: UUID(), now: Date()) } throws: { ($0 as? Problem)?.status == .serviceUnavailable }
        #expect { try known.finish(rawID: "not-a-uuid", caughtUp: true, eventID: UUID(), now: Date()) } throws: { ($0 as? Problem)?.status == .badRequest }
        #expect { try known.finish(rawID: dune.id.uuidString, caughtUp: true, eventID: UUID(), now: Date()) } throws: { ($0 as? Problem)?.status == .badRequest }
    }

    /// The original API's body (the whole book, tabs and all) or none is accepted; a body naming another book,
    /// or one that is not a JSON object, is refused with the code a client can act on.
    @Test func checksTheOptionalBodyOfAFinish() throws {
        let id = "45b9fc30-5dfb-4c55-b762-2fc9560305c2"
        let original = "{\"id\": \"\(id)\",\n\t \"title\": \"1984\",\n\t \"author\": \"George Orwell\",\n\t \"published\": \"1949\"\n      }"
        try FinishRequest.check(body: Array(original.utf8), rawID: id, against: repositoryContracts)
        try FinishRequest.check(body: [UInt8](), rawID: id, against: repositoryContracts)
        try FinishRequest.check(body: Array(#"{"title":"only the title","published":1949}"#.utf8), rawID: id, against: repositoryContracts)
        func code(_ body: String) -> String? {
            do { try FinishRequest.check(body: Array(body.utf8), rawID: id, against: repositoryContracts); return nil } catch { return error.code }
        }
        #expect(code(#"{"id":"6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31","title":"1984"}"#) == "id-mismatch")
        #expect(code(#"{"id":"45B9FC30-5DFB-4C55-B762-2FC9560305C2"}"#) == "invalid-body")
        #expect(code(#"[{"id":"45b9fc30-5dfb-4c55-b762-2fc9560305c2"}]"#) == "invalid-body")
        #expect(code(#"{"id":"#) == "malformed-json")
        #expect(code(#"{"id":"45b9fc30-5dfb-4c55-b762-2fc9560305c2","id":"6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31"}"#) == "malformed-json")
    }

    /// The finish-book request contract's own examples get the verdict their folder states.
    @Test func theFinishRequestExamplesGetTheirVerdicts() throws {
        let folder = repositoryContractsFolder + "/rest/finish-book-request/examples"
        for verdict in ["valid", "invalid"] {
            for file in try FileManager.default.contentsOfDirectory(atPath: "\(folder)/\(verdict)") where file.hasSuffix(".json") {
                let document = try JSONValue(contentsOfFile: "\(folder)/\(verdict)/\(file)")
                let instance = try #require(verdict == "invalid" ? document["instance"] : document)
                let rawID = instance["id"]?.string ?? "45b9fc30-5dfb-4c55-b762-2fc9560305c2"
                let accepted = (try? FinishRequest.check(body: instance.serializedBytes(), rawID: rawID, against: repositoryContracts)) != nil
                #expect(accepted == (verdict == "valid"), "\(verdict)/\(file)")
            }
        }
    }
}

@Suite struct ListBooksTests {
    @Test func keepsTheOrderAddedOnceEach() {
        var list = BookList()
        let (a, b) = (book("A"), book("B"))
        let first = added(a)
        #expect(list.apply(first) == .applied)
        #expect(list.apply(added(b)) == .applied)
        #expect(list.apply(first) == .duplicate)
        #expect(list.apply(added(a)) == .applied)
        #expect(list.apply(finished(a, at: 1)) == .applied)
        #expect(list.books == [a, b])
        #expect(list.book(id: b.id) == b)
    }

    @Test func listsInTheOrderAddedWhateverOrderReplayReadsThem() throws {
        let books = (0..<6).map { book("B\($0)") }
        let events = books.enumerated().map { added($1, time: Date(timeIntervalSince1970: 1000 + Double($0))) }
        var inOrder = BookList()
        events.forEach { _ = inOrder.apply($0) }
        inOrder.settle()
        #expect(inOrder.books == books)
        #expect(inOrder.generation == 0)

        // Two partitions read one after the other, as a replay may.
        var replayed = BookList()
        for index in [1, 3, 5, 0, 2, 4] { _ = replayed.apply(events[index]) }
        #expect(replayed.book(id: books[0].id) == books[0])
        replayed.settle()
        #expect(replayed.books == books)
        #expect(replayed.generation == 1)
        #expect(replayed.book(id: books[2].id) == books[2])
        #expect(try replayed.page(limit: 2, after: books[1].id).books == [books[2], books[3]])
    }

    @Test func onceCaughtUpABookArrivingLateGoesToItsPlace() throws {
        let books = (0..<4).map { book("B\($0)") }
        let events = books.enumerated().map { added($1, time: Date(timeIntervalSince1970: 1000 + Double($0))) }
        var list = BookList()
        _ = list.apply(events[0])
        _ = list.apply(events[1])
        list.settle()
        _ = list.apply(events[3])
        #expect(list.generation == 0)
        _ = list.apply(events[2])
        #expect(list.books == books)
        #expect(list.generation == 1)
        #expect(list.unchangedPrefix(since: 0) == 2)
        #expect(list.unchangedPrefix(since: 1) == 4)
        #expect(try list.page(limit: 1, after: books[2].id).books == [books[3]])
        #expect(books.allSatisfy { list.book(id: $0.id) == $0 })
    }

    /// A replay long enough that the list sorts what it appended in chunks before `settle` (many partitions
    /// read in turn, each in order), with duplicates: the settled list is the one an in-order read gives,
    /// and every book is found by id before and after settling.
    @Test func aLongReplayReadInChunksSettlesToTheOrderAdded() throws {
        let partitions = 7
        let count = 80_000
        let books = (0..<count).map { book("B\($0)") }
        let events = books.enumerated().map { added($1, time: Date(timeIntervalSince1970: 1000 + Double($0) / 8)) }
        var list = BookList()
        list.reserveCapacity(forRecords: count)
        var (applied, duplicates) = (0, 0)
        for partition in 0..<partitions {
            for index in stride(from: partition, to: count, by: partitions) where list.apply(events[index]) == .applied {
                applied += 1
            }
            if list.apply(events[partition]) == .duplicate { duplicates += 1 }
        }
        #expect(applied == count && duplicates == partitions)
        #expect(list.books.count == count)
        #expect(list.book(id: books[count / 2].id) == books[count / 2])
        list.settle()
        #expect(list.books == books)
        #expect(list.generation == 1)
        #expect(stride(from: 0, to: count, by: 997).allSatisfy { list.book(id: books[$0].id) == books[$0] })
        #expect(try list.page(limit: 2, after: books[65_535].id).books == [books[65_536], books[65_537]])
    }

    /// Books added in the same instant keep one order (by event id), and each is still found by id.
    @Test func booksAddedAtTheSameTimeAreOrderedByEventID() throws {
        let books = (0..<50).map { book("B\($0)") }
        let events = books.map { added($0, time: Date(timeIntervalSince1970: 1000)) }
        var list = BookList()
        for event in events.shuffled() { _ = list.apply(event) }
        list.settle()
        let expected = zip(books, events).sorted { UUID.textOrder($0.1.id, $1.1.id) }.map(\.0)
        #expect(list.books == expected)
        #expect(books.allSatisfy { list.book(id: $0.id) == $0 })
        #expect(try list.page(limit: 3, after: expected[10].id).books == Array(expected[11..<14]))
    }

    @Test func pagesWithAfter() throws {
        var list = BookList()
        let books = (0..<5).map { book("B\($0)") }
        books.forEach { _ = list.apply(added($0)) }
        let first = try list.page(limit: 2, after: nil)
        #expect(first.books == Array(books[0..<2]))
        #expect(first.nextAfter == books[1].id)
        let last = try list.page(limit: 3, after: books[1].id)
        #expect(last.books == Array(books[2..<5]))
        #expect(last.nextAfter == nil)
        #expect(throws: Problem.self) { try list.page(limit: 0, after: nil) }
        // Well formed but naming no book: not found, as a schema-valid request must not be a 400.
        #expect { try list.page(limit: 2, after: UUID()) } throws: { ($0 as? Problem)?.status == .notFound }
    }
}

@Suite struct LastReadTests {
    @Test func fiveNewestFirstFullDataNoDuplicates() {
        var view = LastReadBooks()
        let books = (0..<7).map { book("B\($0)") }
        books.forEach { _ = view.apply(added($0)) }
        for (index, book) in books.enumerated() { #expect(view.apply(finished(book, at: Double(index))) == .applied) }
        #expect(view.lastRead == Array(books[2..<7].reversed()))
        #expect(view.apply(finished(books[3], at: 100)) == .applied)
        #expect(view.lastRead == [books[3], books[6], books[5], books[4], books[2]])
    }

    @Test func orderFollowsEventTimeNotArrival() {
        var view = LastReadBooks()
        let (a, b) = (book("A"), book("B"))
        _ = view.apply(added(a))
        _ = view.apply(added(b))
        _ = view.apply(finished(b, at: 20))
        _ = view.apply(finished(a, at: 10))
        #expect(view.lastRead == [b, a])
        _ = view.apply(finished(a, at: 5))
        #expect(view.lastRead == [b, a])
    }

    @Test func rejectsFinishingAnUnknownBookAndDedupes() {
        var view = LastReadBooks()
        let ghost = book("ghost")
        guard case .rejected(let reason) = view.apply(finished(ghost, at: 1)) else { Issue.record("expected a rejection"); return }
        #expect(reason.code == "unknown-book")
        #expect(view.lastRead.isEmpty)
        let known = book("K")
        _ = view.apply(added(known))
        let event = finished(known, at: 1)
        #expect(view.apply(event) == .applied)
        #expect(view.apply(event) == .duplicate)
    }

    @Test func readsVersion1BooksWithoutTheV2Fields() throws {
        var view = LastReadBooks()
        let v1 = Book(id: UUID(), title: "Old", author: "Someone", published: "1900")
        _ = view.apply(added(v1))
        _ = view.apply(finished(v1, at: 1))
        let json = try #require(String(data: JSONEncoder().encode(view.lastRead), encoding: .utf8))
        #expect(!json.contains("isbn") && !json.contains("tags"))
    }
}
