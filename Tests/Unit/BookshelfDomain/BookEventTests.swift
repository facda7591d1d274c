import BookshelfContracts
import BookshelfDomain
import BookshelfServiceKit
import Foundation
import Testing

/// Bookshelf's events through the kit's codec: what new-book writes and what every view reads, every version.
@Suite struct BookEventTests {
    let contracts = Result { () throws(ContractError) in try ContractsLocation.load(flag: nil, environmentVariable: "BOOKSHELF_CONTRACTS") }
    func reader() throws -> EventCodec<BookEvent> { EventCodec(contracts: try contracts.get()) }
    let book = Book(id: UUID(uuidString: "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31")!, title: "Dune", author: "Frank Herbert", published: "1965", isbn: "9780441013593", tags: ["sf"])

    @Test func roundTripsTheNewestVersionWithTheKeyInData() throws {
        let event = BookEvent(id: UUID(), time: Date(timeIntervalSince1970: 1_800_000_000.25), kind: .added(book, idempotencyKey: "k-1"))
        let bytes = try EventCodec<BookEvent>(source: "/bookshelf/new-book", contracts: contracts.get()).encode(event)
        let object = try #require(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["dataschema"] as? String == "https://bookshelf.example/contracts/events/bookshelf.book.added/v3.schema.json")
        // v3 writes the year as the original API does: a string.
        #expect((object["data"] as? [String: Any])?["published"] as? String == "1965")
        #expect(object["subject"] as? String == "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31")
        #expect((object["data"] as? [String: Any])?["idempotencyKey"] as? String == "k-1")
        #expect(object["time"] as? String == "2027-01-15T08:00:00.250Z")
        #expect(try reader().decode(bytes) == event)
    }

    /// The codec reads and writes what contracts/ describes: both event types, the newest version of each
    /// written, and the record a publisher sends keyed by the book.
    @Test func takesItsTypesAndVersionsFromTheContractsFolder() throws {
        let codec = EventCodec<BookEvent>(source: BookshelfEvents.newBookSource, contracts: try contracts.get())
        #expect(codec.types == [BookshelfEvents.bookAdded, BookshelfEvents.bookFinished])
        #expect(codec.dataschema(of: BookshelfEvents.bookAdded) == "https://bookshelf.example/contracts/events/bookshelf.book.added/v3.schema.json")
        #expect(codec.dataschema(of: BookshelfEvents.bookFinished) == "https://bookshelf.example/contracts/events/bookshelf.book.finished/v1.schema.json")
        let event = BookEvent(id: UUID(), time: Date(timeIntervalSince1970: 1_800_000_000.5), kind: .added(book, idempotencyKey: nil))
        let record = try codec.record(event)
        #expect(record.key == "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31" && record.type == BookshelfEvents.bookAdded)
        #expect(try codec.decode(record.value) == event)
        #expect(throws: EventContractViolation.self, "a codec made for reading has no source to write") {
            try EventCodec<BookEvent>(contracts: contracts.get()).encode(event)
        }
    }

    @Test func readsAVersion1Event() throws {
        let v1 = """
        {"specversion":"1.0","id":"1a2b3c4d-0001-4e5f-8a9b-0c1d2e3f4a01","source":"/bookshelf/new-book","type":"bookshelf.book.added",
         "time":"2026-11-26T09:15:00Z","datacontenttype":"application/json",
         "dataschema":"https://bookshelf.example/contracts/events/bookshelf.book.added/v1.schema.json","safe":false,"idempotent":true,
         "data":{"id":"6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31","title":"Dune","author":"Frank Herbert","published":1965}}
        """
        let event = try reader().decode(Array(v1.utf8))
        guard case .added(let decoded, let key) = event.kind else { Issue.record("not an added event"); return }
        #expect(decoded.title == "Dune" && decoded.isbn == nil && key == nil)
        #expect(decoded.published == "1965", "a v1 integer year is read as the string v3 writes")
        #expect(event.time == Date(timeIntervalSince1970: 1_795_684_500))
        let offset = v1.replacingOccurrences(of: "2026-11-26T09:15:00Z", with: "2026-11-26T10:15:00.5+01:00")
        #expect(try reader().decode(Array(offset.utf8)).time == Date(timeIntervalSince1970: 1_795_684_500.5))
    }

    /// Every version's year reads as the same string: v1 and v2 wrote integers (`1969.0` is one), v3 strings.
    @Test func readsTheYearOfEveryVersionAsAString() throws {
        let codec = EventCodec<BookEvent>(contracts: try contracts.get())
        func published(_ version: Int, _ year: String) throws -> String? {
            let text = """
            {"specversion":"1.0","id":"1a2b3c4d-0001-4e5f-8a9b-0c1d2e3f4a01","source":"/bookshelf/new-book","type":"bookshelf.book.added",
             "time":"2026-11-26T09:15:00Z","datacontenttype":"application/json",
             "dataschema":"https://bookshelf.example/contracts/events/bookshelf.book.added/v\(version).schema.json","safe":false,"idempotent":true,
             "data":{"id":"6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31","title":"Dune","author":"Frank Herbert","published":\(year)}}
            """
            guard case .added(let book, _) = try codec.decode(Array(text.utf8)).kind else { return nil }
            return book.published
        }
        #expect(try published(1, "1969.0") == "1969")
        #expect(try published(2, "1949") == "1949")
        #expect(try published(3, "1949") == "1949")
        #expect(try published(3, #""1949""#) == "1949")
        #expect(try published(3, #""0975""#) == "0975", "a string year is kept as it was sent")
        #expect(throws: UnreadableEvent.self) { try published(2, #""1949""#) }
        #expect(throws: UnreadableEvent.self) { try published(3, #""19490""#) }
    }

    @Test func refusesWhatItCannotReadWithAReason() throws {
        let codec = EventCodec<BookEvent>(contracts: try contracts.get())
        func reason(_ text: String) -> String? {
            do { _ = try codec.decode(Array(text.utf8)); return nil } catch { return error.code }
        }
        #expect(reason("not json") == "not-a-cloudevent")
        #expect(reason(#"{"specversion":"1.0","type":"bookshelf.book.lost"}"#) == "unknown-type")
        #expect(reason(#"{"specversion":"1.0","type":"bookshelf.book.added","dataschema":"https://bookshelf.example/contracts/events/bookshelf.book.added/v9.schema.json"}"#) == "unknown-dataschema")
        #expect(reason(#"{"specversion":"1.0","type":"bookshelf.book.added","dataschema":"https://bookshelf.example/contracts/events/bookshelf.book.finished/v1.schema.json"}"#) == "schema-type-mismatch")
        #expect(reason(#"{"specversion":"1.0","type":"bookshelf.book.finished","id":"x"}"#) == "invalid-event")
        #expect(reason(#"{"specversion":"1.0","type":"bookshelf.book.finished","id":"1a2b3c4d-0001-4e5f-8a9b-0c1d2e3f4a01","time":"yesterday","data":{}}"#) == "invalid-event")
    }

    /// A producer's bug never reaches the topic: an event its contract refuses is an error, not bytes.
    @Test func refusesToWriteAnEventItsContractRefuses() throws {
        let codec = EventCodec<BookEvent>(source: "/bookshelf/new-book", contracts: try contracts.get())
        let hyphenated = Book(id: book.id, title: "Dune", author: "Frank Herbert", published: "1965", isbn: "978-0441013593")
        #expect(throws: EventContractViolation.self) {
            try codec.encode(BookEvent(id: UUID(), time: Date(), kind: .added(hyphenated, idempotencyKey: nil)))
        }
        let blank = Book(id: book.id, title: " ", author: "Frank Herbert", published: "1965")
        do {
            _ = try codec.encode(BookEvent(id: UUID(), time: Date(), kind: .added(blank, idempotencyKey: nil)))
            Issue.record("a blank title was written")
        } catch {
            #expect(error.message.contains("/data/title"))
        }
    }
}
