import BookshelfApp
import BookshelfContracts
import BookshelfDomain
import FoundationEssentials
import Hummingbird
import BookshelfServiceKit
import Synchronization

/// list-books' wiring: `GET /bookshelf/books` (optionally paged) and `GET /bookshelf/books/{id}`.
package final class ListBooksService: Sendable {
    package static let defaults = ServiceDefaults(
        name: BookshelfServices.listBooks.consulName, tags: BookshelfServices.listBooks.tags, port: BookshelfServices.listBooks.port,
        environmentPrefix: BookshelfServices.environmentPrefix, problemNamespace: BookshelfServices.problemNamespace)

    package let view: ProjectionHost<BookList>
    /// The JSON items of the list's generation `generation` so far: within a generation the list only
    /// grows, so each GET encodes only the books added since the last one instead of all of them.
    private let encoded = Mutex<(generation: Int, ends: [Int], bytes: [UInt8])>((0, [], []))

    package init(view: ProjectionHost<BookList>) {
        self.view = view
    }

    package func addRoutes(to routes: ServiceRoutes) {
        routes.on("/bookshelf/books", method: .get) { request, _ in
            try await self.list(request)
        }
        routes.on("/bookshelf/books/:id", method: .get) { request, context in
            try await self.book(request, id: context.parameters.get("id") ?? "")
        }
    }

    func list(_ request: Request) async throws -> Response {
        try await ViewGate.open(request, view)
        let query = request.uri.queryParameters
        var limit: Int?
        if let text = query["limit"] {
            // Decimal digits only, as the contract's integer is written in a query (Int(_:) would take "+5").
            guard !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let value = Int(text) else {
                throw Problem.badRequest(code: "invalid-limit", "limit must be a whole number from 1 to \(BookList.maximumLimit).")
            }
            limit = value
        }
        var after: UUID?
        if let text = query["after"] {
            guard let value = UUID(bookID: text) else { throw Problem.badRequest(code: "invalid-after", "after must be a book id: a lower-case UUID.") }
            after = value
        }
        if limit == nil && after == nil {
            let cached = encoded.withLock { $0.generation }
            let (books, generation, unchanged, position) = view.read { list, applied in
                (list.books, list.generation, list.unchangedPrefix(since: cached), applied)
            }
            return ServiceRoutes.json(bytes: encodedList(books, generation: generation, unchangedSince: (cached, unchanged)), status: .ok, headers: [view.positionHeaders.written: position.description])
        }
        let (page, position) = try view.read { list, applied in (try list.page(limit: limit, after: after), applied) }
        var headers: HTTPFields = [view.positionHeaders.written: position.description]
        if let next = page.nextAfter, let limit {
            headers[.link] = "</bookshelf/books?limit=\(limit)&after=\(next.lowercaseText)>; rel=\"next\""
        }
        return ServiceRoutes.json(bytes: try JSONEncoder().encode(page.books), status: .ok, headers: headers)
    }

    func book(_ request: Request, id: String) async throws -> Response {
        try await ViewGate.open(request, view)
        guard let uuid = UUID(bookID: id) else {
            throw Problem.badRequest(code: "malformed-id", "'\(id.prefix(64))' is not a book id; ids are lower-case UUIDs.")
        }
        let (book, position) = view.read { list, applied in (list.book(id: uuid), applied) }
        guard let book else { throw Problem.notFound("There is no book with id \(uuid.lowercaseText).") }
        return ServiceRoutes.json(bytes: try JSONEncoder().encode(book), status: .ok, headers: [view.positionHeaders.written: position.description])
    }

    /// `[` + the first `books.count` items + `]`. Requests read snapshots concurrently, so the cache may
    /// already hold more books than this snapshot: the answer then takes the prefix that matches it.
    /// When the list was reordered since the cache's generation, the cache keeps the books before the
    /// first change; a snapshot older than the cache starts it again.
    private func encodedList(_ books: [Book], generation: Int, unchangedSince: (generation: Int, count: Int)) -> [UInt8] {
        let (bytes, end) = encoded.withLock { cache in
            if generation < cache.generation {
                cache = (generation, [], [])
            } else if generation > cache.generation {
                let keep = cache.generation == unchangedSince.generation ? min(unchangedSince.count, cache.ends.count) : 0
                cache = (generation, Array(cache.ends.prefix(keep)), Array(cache.bytes.prefix(keep == 0 ? 0 : cache.ends[keep - 1])))
            }
            let encoder = JSONEncoder()
            for book in books.dropFirst(cache.ends.count) {
                if !cache.ends.isEmpty { cache.bytes.append(UInt8(ascii: ",")) }
                cache.bytes.append(contentsOf: (try? encoder.encode(book)) ?? Data("null".utf8))
                cache.ends.append(cache.bytes.count)
            }
            return (cache.bytes, books.isEmpty ? 0 : cache.ends[books.count - 1])
        }
        var body = [UInt8]()
        body.reserveCapacity(end + 2)
        body.append(UInt8(ascii: "["))
        body.append(contentsOf: bytes[0..<end])
        body.append(UInt8(ascii: "]"))
        return body
    }
}
