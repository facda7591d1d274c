import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// What a visitor sees of Bookshelf: the gateway at `BOOKSHELF_GATEWAY_URL`, spoken to over plain HTTP.
/// The E2E tests know nothing else of the system (no modules of this package), so they hold for any
/// stack that keeps the public contract: `bookshelf up`, docker compose or Kubernetes.
struct Bookshelf {
    struct Reply: CustomStringConvertible {
        let status: Int
        let headers: [String: String]
        let body: Data

        func header(_ name: String) -> String? {
            headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
        }

        var json: Any? { try? JSONSerialization.jsonObject(with: body) }

        var description: String {
            "HTTP \(status) \(header("Content-Type") ?? "") \(String(decoding: body.prefix(600), as: UTF8.self))"
        }
    }

    /// A book as the API returns it, with the original API's JSON types: four strings (`published` is the
    /// year as text, "1949"). A book whose fields have other types is no book.
    struct Book: Equatable, Hashable, CustomStringConvertible {
        let id: String
        let title: String
        let author: String
        let published: String

        init?(_ value: Any?) {
            guard let object = value as? [String: Any],
                  let id = object["id"] as? String, let title = object["title"] as? String,
                  let author = object["author"] as? String, let published = object["published"] as? String
            else { return nil }
            self.id = id
            self.title = title
            self.author = author
            self.published = published
        }

        var description: String { "\(title) (\(id))" }
    }

    let base: URL
    private let session: URLSession

    /// The gateway to visit, or a skip when none is configured: the E2E tests need a running stack.
    static func fromEnvironment() throws -> Bookshelf {
        guard let text = ProcessInfo.processInfo.environment["BOOKSHELF_GATEWAY_URL"], !text.isEmpty else {
            throw XCTSkip("BOOKSHELF_GATEWAY_URL is not set: start a stack (make e2e-local or make e2e) to run the E2E tests")
        }
        guard let url = URL(string: text) else {
            throw XCTSkip("BOOKSHELF_GATEWAY_URL '\(text)' is not a URL")
        }
        return Bookshelf(base: url)
    }

    init(base: URL) {
        self.base = base
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 30
        configuration.httpMaximumConnectionsPerHost = 64
        session = URLSession(configuration: configuration)
    }

    func send(
        _ method: String, _ path: String, body: Data? = nil, contentType: String? = "application/json",
        headers: [String: String] = [:]
    ) async throws -> Reply {
        var request = URLRequest(url: URL(string: path, relativeTo: base)!)
        request.httpMethod = method
        if let body {
            request.httpBody = body
            if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        let http = try XCTUnwrap(response as? HTTPURLResponse)
        var fields: [String: String] = [:]
        for case let (name as String, value as String) in http.allHeaderFields { fields[name] = value }
        return Reply(status: http.statusCode, headers: fields, body: data)
    }

    // MARK: - The visitor's moves

    /// Adds a book and expects it accepted; returns it with the position its event landed at.
    func add(
        title: String, author: String = "E2E Author", published: String = "1970",
        idempotencyKey: String? = nil, file: StaticString = #filePath, line: UInt = #line
    ) async throws -> (book: Book, position: String) {
        let reply = try await add(body: Self.bookJSON(title: title, author: author, published: published), idempotencyKey: idempotencyKey)
        XCTAssertEqual(reply.status, 201, "adding '\(title)': \(reply)", file: file, line: line)
        let book = try XCTUnwrap(Book(reply.json), "adding '\(title)' answered no book: \(reply)", file: file, line: line)
        XCTAssertEqual(book.title, title, file: file, line: line)
        XCTAssertEqual(reply.header("Location"), "/bookshelf/books/\(book.id)", file: file, line: line)
        return (book, reply.header("X-Bookshelf-Position") ?? "")
    }

    func add(body: Data, idempotencyKey: String? = nil, contentType: String? = "application/json") async throws -> Reply {
        try await send(
            "POST", "/bookshelf/books", body: body, contentType: contentType,
            headers: idempotencyKey.map { ["Idempotency-Key": $0] } ?? [:]
        )
    }

    /// Marks a book finished and expects 204; returns the position of the event. `positions` are the
    /// visitor's earlier writes (at least the book's own add): book-read learns books from the log, so
    /// finishing a book added a moment ago must say which write it builds on.
    func finish(
        _ book: Book, after positions: [String], file: StaticString = #filePath, line: UInt = #line
    ) async throws -> String {
        let wanted = positions.filter { !$0.isEmpty }
        let reply = try await send(
            "POST", "/bookshelf/books/\(book.id)/finished",
            headers: wanted.isEmpty ? [:] : ["X-Bookshelf-Min-Position": wanted.joined(separator: ",")]
        )
        XCTAssertEqual(reply.status, 204, "finishing \(book): \(reply)", file: file, line: line)
        return reply.header("X-Bookshelf-Position") ?? ""
    }

    /// Every book, as of at least `positions` (read-your-writes: the view waits until it has applied them).
    func books(after positions: [String] = [], file: StaticString = #filePath, line: UInt = #line) async throws -> [Book] {
        try await list("/bookshelf/books", after: positions, file: file, line: line)
    }

    func lastRead(after positions: [String] = [], file: StaticString = #filePath, line: UInt = #line) async throws -> [Book] {
        try await list("/bookshelf/books/last/read", after: positions, file: file, line: line)
    }

    private func list(_ path: String, after positions: [String], file: StaticString, line: UInt) async throws -> [Book] {
        let wanted = positions.filter { !$0.isEmpty }
        let reply = try await send("GET", path, headers: wanted.isEmpty ? [:] : ["X-Bookshelf-Min-Position": wanted.joined(separator: ",")])
        XCTAssertEqual(reply.status, 200, "GET \(path): \(reply)", file: file, line: line)
        let items = try XCTUnwrap(reply.json as? [Any], "GET \(path) is not an array: \(reply)", file: file, line: line)
        return try items.map { try XCTUnwrap(Book($0), "GET \(path) holds a non-book: \($0)", file: file, line: line) }
    }

    /// Asks until `condition` holds or `timeout` passes (a restarted view replays before it answers).
    func eventually<T>(
        timeout: TimeInterval = 60, _ what: String, _ attempt: () async throws -> T?,
        file: StaticString = #filePath, line: UInt = #line
    ) async throws -> T {
        let deadline = Date(timeIntervalSinceNow: timeout)
        var lastError: (any Error)?
        while Date() < deadline {
            do {
                if let value = try await attempt() { return value }
            } catch {
                lastError = error
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        XCTFail("\(what) did not happen within \(Int(timeout)) s\(lastError.map { "; last error: \($0)" } ?? "")", file: file, line: line)
        throw CancellationError()
    }

    /// A request as the original API documents it: the year as a string.
    static func bookJSON(title: String, author: String = "E2E Author", published: String = "1970") -> Data {
        try! JSONSerialization.data(withJSONObject: ["title": title, "author": author, "published": published])
    }

    /// A title no other test run has used, so journeys can share one stack and one log.
    static func uniqueTitle(_ prefix: String) -> String {
        "\(prefix) \(UUID().uuidString.prefix(8).lowercased())"
    }
}

extension XCTestCase {
    /// Checks an RFC 9457 problem answer: status, media type and the members a client relies on.
    func assertProblem(
        _ reply: Bookshelf.Reply, status: Int, _ message: String = "",
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(reply.status, status, "\(message): \(reply)", file: file, line: line)
        XCTAssertEqual(
            reply.header("Content-Type")?.split(separator: ";").first.map(String.init), "application/problem+json",
            "\(message): \(reply)", file: file, line: line
        )
        let problem = reply.json as? [String: Any]
        XCTAssertEqual(problem?["status"] as? Int, status, "\(message): \(reply)", file: file, line: line)
        XCTAssertFalse((problem?["detail"] as? String ?? "").isEmpty, "\(message): a problem says what went wrong: \(reply)", file: file, line: line)
        XCTAssertNotNil(problem?["type"] as? String, "\(message): \(reply)", file: file, line: line)
    }
}
