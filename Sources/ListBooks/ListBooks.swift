import Foundation
import ServiceKit

/// The list-books view: every book in the order added (the order its view applied the `book.added`
/// events), one entry per book id.
public struct BookList: Projection {
    private var seen = SeenEvents()
    public private(set) var books: [Book] = []
    private var index: [UUID: Int] = [:]

    public init() {}

    public mutating func apply(_ event: BookEvent) -> ApplyOutcome {
        guard seen.insert(event.id) else { return .duplicate }
        if case .added(let book, _) = event.kind, index[book.id] == nil {
            index[book.id] = books.count
            books.append(book)
        }
        return .applied
    }

    public func book(id: UUID) -> Book? {
        index[id].map { books[$0] }
    }

    public struct Page: Equatable, Sendable {
        public var books: [Book]
        /// The id to pass as `after` for the next page; nil on the last page.
        public var nextAfter: UUID?
    }

    public static let maximumLimit = 1000

    /// One page: up to `limit` books following the book `after` (from the start when nil). Without a limit
    /// the whole list, as the original API returned it.
    public func page(limit: Int?, after: UUID?) throws(Problem) -> Page {
        if let limit, !(1...Self.maximumLimit).contains(limit) {
            throw Problem.badRequest(code: "invalid-limit", "limit must be from 1 to \(Self.maximumLimit).")
        }
        var start = 0
        if let after {
            guard let position = index[after] else {
                throw Problem.badRequest(code: "unknown-after", "after names no book in this list; pass the id of the last book of the previous page.")
            }
            start = position + 1
        }
        let end = limit.map { min(books.count, start + $0) } ?? books.count
        let slice = Array(books[start..<end])
        return Page(books: slice, nextAfter: limit != nil && end < books.count ? slice.last?.id : nil)
    }
}
