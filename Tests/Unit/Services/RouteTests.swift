import BookRead
import BookshelfTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import LastRead
import ListBooks
import Logging
import NewBook
import BookshelfDomain
import BookshelfServiceKit
import ServiceLifecycle
import Testing

/// All four services over one in-memory events log, their hosts running, one router each.
final class Shelf: Sendable {
    struct BrokerDown: ServiceError {
        var code: String { "broker-unavailable" }
        var message: String { "The broker did not acknowledge the event." }
        var isRetryable: Bool { true }
    }

    let log = InMemoryEventLog()
    let metrics = ServiceMetrics(namespace: "bookshelf")

    func routes(_ add: (ServiceRoutes, Readiness) -> any Service) -> (ServiceRoutes, any Service) {
        let readiness = Readiness()
        let routes = ServiceRoutes(metrics: metrics, readiness: readiness, problemNamespace: "urn:bookshelf:problem:")
        return (routes, add(routes, readiness))
    }

    func host<P: Projection>(_ type: P.Type, _ readiness: Readiness) -> ProjectionHost<P> {
        ProjectionHost<P>(consumer: "\(P.self)", source: log.makeSource(), deadLetters: log, contracts: repositoryContracts, readiness: readiness, metrics: metrics, positionHeaders: BookshelfEvents.positionHeaders, logger: Logger(label: "test"))
    }

    func newBook() -> (ServiceRoutes, any Service) {
        routes { routes, readiness in
            let host = self.host(NewBookState.self, readiness)
            NewBookService(state: host, publisher: log, contracts: repositoryContracts, metrics: metrics).addRoutes(to: routes)
            return host
        }
    }

    func bookRead() -> (ServiceRoutes, any Service) {
        routes { routes, readiness in
            let host = self.host(KnownBooks.self, readiness)
            BookReadService(state: host, publisher: log, contracts: repositoryContracts, metrics: metrics).addRoutes(to: routes)
            return host
        }
    }

    func listBooks() -> (ServiceRoutes, any Service) {
        routes { routes, readiness in
            let host = self.host(BookList.self, readiness)
            ListBooksService(view: host).addRoutes(to: routes)
            return host
        }
    }

    func lastRead() -> (ServiceRoutes, any Service) {
        routes { routes, readiness in
            let host = self.host(LastReadBooks.self, readiness)
            LastReadService(view: host).addRoutes(to: routes)
            return host
        }
    }

    /// Runs `body` with a client for the service built by `make`, its host applying events meanwhile.
    func test(_ make: () -> (ServiceRoutes, any Service), _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let (routes, host) = make()
        let running = Task { try await host.run() }
        defer { running.cancel() }
        try await Application(router: routes).test(.router) { client in
            try await waitUntilReady(client)
            try await body(client)
        }
    }

    private func waitUntilReady(_ client: any TestClientProtocol) async throws {
        for _ in 0..<500 {
            if try await client.execute(uri: "/health/ready", method: HTTPRequest.Method.get).status == .ok { return }
            try await Task.sleep(for: .milliseconds(2))
        }
        Issue.record("service never became ready")
    }
}

let json: HTTPFields = [.contentType: "application/json"]

func post(_ client: any TestClientProtocol, _ body: String, headers: HTTPFields = json) async throws -> TestResponse {
    try await client.execute(uri: "/bookshelf/books", method: .post, headers: headers, body: ByteBuffer(string: body))
}

func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
    try JSONDecoder().decode(type, from: Data(buffer: response.body))
}

@Suite struct NewBookRouteTests {
    @Test func createsABookAfterTheBrokerAcknowledged() async throws {
        let shelf = Shelf()
        try await shelf.test(shelf.newBook) { client in
            let response = try await post(client, #"{"title":"Dune","author":"Frank Herbert","published":1965}"#)
            #expect(response.status == .created)
            let book = try decode(Book.self, response)
            #expect(book.title == "Dune")
            #expect(response.headers[.location] == "/bookshelf/books/\(book.id.uuidString.lowercased())")
            let position = try #require(response.headers[.bookshelfPosition].flatMap { EventPosition($0) })
            #expect(shelf.log.count == 1)
            #expect(position.offset == 0)
        }
    }

    @Test func invalidBodiesAre400AndWriteNothing() async throws {
        let shelf = Shelf()
        try await shelf.test(shelf.newBook) { client in
            let response = try await post(client, #"{"title":"Dune","author":"F","published":1965,"id":"x"}"#)
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(try await post(client, "{}", headers: [.contentType: "text/plain"]).status == .unsupportedMediaType)
            #expect(shelf.log.count == 0)
        }
    }

    @Test func brokerDownIs503WithRetryAfterAndNothingRemembered() async throws {
        let shelf = Shelf()
        try await shelf.test(shelf.newBook) { client in
            shelf.log.failPublishing(with: Shelf.BrokerDown())
            let body = #"{"title":"Dune","author":"F","published":1965}"#
            let failed = try await post(client, body, headers: json + [.idempotencyKey: "k1"])
            #expect(failed.status == .serviceUnavailable)
            #expect(failed.headers[.retryAfter] == "1")
            #expect(shelf.log.count == 0)
            shelf.log.failPublishing(with: nil)
            let retried = try await post(client, body, headers: json + [.idempotencyKey: "k1"])
            #expect(retried.status == .created)
            #expect(shelf.log.count == 1)
        }
    }

    @Test func aRetriedKeyReturnsTheSameBookAlsoAfterARestart() async throws {
        let shelf = Shelf()
        let body = #"{"title":"Dune","author":"F","published":1965}"#
        let first = LockedBox<Book?>(nil)
        try await shelf.test(shelf.newBook) { client in
            let original = try await post(client, body, headers: json + [.idempotencyKey: "key-7"])
            let created = try decode(Book.self, original)
            let again = try await post(client, body, headers: json + [.idempotencyKey: "key-7"])
            #expect(try decode(Book.self, again) == created)
            #expect(again.headers[.idempotentReplayed] == "true")
            // The retry points a reader at the same event as the first answer did.
            #expect(again.headers[.bookshelfPosition] != nil)
            #expect(again.headers[.bookshelfPosition] == original.headers[.bookshelfPosition])
            first.value = created
        }
        // A new instance over the same log rebuilds the key from the event.
        try await shelf.test(shelf.newBook) { client in
            let again = try await post(client, body, headers: json + [.idempotencyKey: "key-7"])
            #expect(again.status == .created)
            #expect(try decode(Book.self, again) == first.value)
            // After a restart the answer names positions that include the original event's.
            let reflected = try #require(again.headers[.bookshelfPosition].flatMap { PositionVector(parsing: $0) })
            #expect(reflected.covers(PositionVector([try #require(shelf.log.positions.first)])))
        }
        #expect(shelf.log.count == 1)
    }
}

@Suite struct BookReadRouteTests {
    @Test func finishesKnownBooks404sUnknownAnd400sMalformed() async throws {
        let shelf = Shelf()
        let dune = book("Dune")
        try shelf.log.append(key: dune.id.uuidString.lowercased(), value: EventCodec<BookEvent>(source: NewBookService.eventSource, contracts: repositoryContracts).encode(added(dune)))
        try await shelf.test(shelf.bookRead) { client in
            let done = try await client.execute(uri: "/bookshelf/books/\(dune.id.uuidString.lowercased())/finished", method: HTTPRequest.Method.post)
            #expect(done.status == .noContent)
            #expect(done.headers[.bookshelfPosition] != nil)
            #expect(shelf.log.count == 2)
            #expect(try await client.execute(uri: "/bookshelf/books/\(UUID().uuidString.lowercased())/finished", method: HTTPRequest.Method.post).status == .notFound)
            #expect(try await client.execute(uri: "/bookshelf/books/42/finished", method: HTTPRequest.Method.post).status == .badRequest)
            #expect(try await client.execute(uri: "/bookshelf/books/42/finished", method: HTTPRequest.Method.get).status == .methodNotAllowed)
        }
    }
}

@Suite struct ViewRouteTests {
    @Test func listBooksInOrderWithPagingAndReadYourWrites() async throws {
        let shelf = Shelf()
        let codec = EventCodec<BookEvent>(source: NewBookService.eventSource, contracts: repositoryContracts)
        let books = (0..<3).map { book("B\($0)") }
        // One writer after another, each a second apart: "the order added" is the order of the events' times.
        for (second, book) in books.enumerated() {
            try shelf.log.append(key: book.id.uuidString.lowercased(), value: codec.encode(added(book, time: Date(timeIntervalSince1970: 1_000 + Double(second)))))
        }
        try await shelf.test(shelf.listBooks) { client in
            let all = try await client.execute(uri: "/bookshelf/books", method: HTTPRequest.Method.get)
            #expect(try decode([Book].self, all) == books)
            let page = try await client.execute(uri: "/bookshelf/books?limit=2", method: HTTPRequest.Method.get)
            #expect(try decode([Book].self, page) == Array(books[0..<2]))
            #expect(page.headers[.link] == "</bookshelf/books?limit=2&after=\(books[1].id.uuidString.lowercased())>; rel=\"next\"")
            let one = try await client.execute(uri: "/bookshelf/books/\(books[2].id.uuidString.lowercased())", method: HTTPRequest.Method.get)
            #expect(try decode(Book.self, one) == books[2])
            #expect(try await client.execute(uri: "/bookshelf/books/\(UUID().uuidString.lowercased())", method: HTTPRequest.Method.get).status == .notFound)
            // The contract's id is lower case; the gateway refuses an upper-case one, and so does the view.
            #expect(try await client.execute(uri: "/bookshelf/books/\(books[2].id.uuidString)", method: HTTPRequest.Method.get).status == .badRequest)
            #expect(try await client.execute(uri: "/bookshelf/books?limit=2&after=\(books[1].id.uuidString)", method: HTTPRequest.Method.get).status == .badRequest)

            let late = book("Late")
            let position = try shelf.log.append(key: late.id.uuidString.lowercased(), value: codec.encode(added(late)))
            let fresh = try await client.execute(uri: "/bookshelf/books", method: HTTPRequest.Method.get, headers: [.bookshelfMinPosition: position.description])
            #expect(try decode([Book].self, fresh).last == late)
            let reflected = try #require(fresh.headers[.bookshelfPosition].flatMap { PositionVector(parsing: $0) })
            #expect(reflected.covers(PositionVector([position])))
            // A position past the end of the log (no write answered it) asks for the whole log: answered at
            // once, not after the 2 s wait and a 503 that no retry would cure.
            let started = ContinuousClock.now
            let beyond = try await client.execute(uri: "/bookshelf/books", method: HTTPRequest.Method.get, headers: [.bookshelfMinPosition: "0:999999,1:999999,2:999999,77:1"])
            #expect(beyond.status == .ok)
            #expect(ContinuousClock.now - started < ReadYourWrites.maximumWait)
            #expect(try decode([Book].self, beyond).count == 4)
            #expect(try #require(beyond.headers[.bookshelfPosition].flatMap { PositionVector(parsing: $0) }).covers(shelf.log.lastPositions))
            for malformed in ["soon", "0", "+0:1", "0:99999999999999999999", "0:1,,1:2"] {
                #expect(try await client.execute(uri: "/bookshelf/books", method: HTTPRequest.Method.get, headers: [.bookshelfMinPosition: malformed]).status == .badRequest, "\(malformed)")
            }
            // The query as the contract writes it: decimal digits only; an `after` naming no book is not found.
            for limit in ["+2", "2.0", "0", "", "99999999999999999999"] {
                #expect(try await client.execute(uri: "/bookshelf/books?limit=\(limit)", method: HTTPRequest.Method.get).status == .badRequest, "limit=\(limit)")
            }
            #expect(try await client.execute(uri: "/bookshelf/books?limit=2&after=\(UUID().uuidString.lowercased())", method: HTTPRequest.Method.get).status == .notFound)
        }
    }

    @Test func lastReadAnswersFullBooksNewestFirstAndDeadLettersPoison() async throws {
        let shelf = Shelf()
        let added = EventCodec<BookEvent>(source: NewBookService.eventSource, contracts: repositoryContracts)
        let read = EventCodec<BookEvent>(source: BookReadService.eventSource, contracts: repositoryContracts)
        let (a, b) = (book("A"), book("B"))
        for book in [a, b] { try shelf.log.append(key: book.id.uuidString.lowercased(), value: added.encode(ServicesTests.added(book))) }
        try shelf.log.append(key: "x", value: Array(#"{"specversion":"1.0"}"#.utf8))
        try shelf.log.append(key: a.id.uuidString.lowercased(), value: read.encode(finished(a, at: 1)))
        try shelf.log.append(key: b.id.uuidString.lowercased(), value: read.encode(finished(b, at: 2)))
        try shelf.log.append(key: a.id.uuidString.lowercased(), value: read.encode(finished(a, at: 3)))
        try await shelf.test(shelf.lastRead) { client in
            let response = try await client.execute(uri: "/bookshelf/books/last/read", method: HTTPRequest.Method.get)
            #expect(try decode([Book].self, response) == [a, b])
            #expect(shelf.log.deadLetters.count == 1)
        }
    }
}

final class LockedBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: T
    init(_ value: T) { _value = value }
    var value: T {
        get { lock.withLock { _value } }
        set { lock.withLock { _value = newValue } }
    }
}
