/// One role of the Bookshelf app: the `bookshelf` subcommand that runs it, its fixed port, and the name and
/// tags it registers in Consul (the name is also the key of the gateway's `--upstream NAME=URL` and of the
/// state file's `services`).
package struct BookshelfService: Sendable, Equatable {
    package let subcommand: String
    package let port: Int
    package let consulName: String
    package let tags: [String]
}

/// The one table of the app's services (docs/architecture.md shows it): each service's defaults, the plan of
/// `bookshelf up` and the gateway's routes all read it.
package enum BookshelfServices {
    /// The app's prefix of environment variables (`Settings`): `--port` falls back to `BOOKSHELF_PORT`,
    /// `--contracts` to `BOOKSHELF_CONTRACTS`. The kit has no prefix of its own; every service and command of
    /// the app reads its variables under this one.
    package static let environmentPrefix = "BOOKSHELF_"

    /// The namespace of the app's problem types: a problem's `type` is it followed by the problem's code
    /// (`urn:bookshelf:problem:not-found`; docs/services.md).
    package static let problemNamespace = "urn:bookshelf:problem:"
    package static let newBook = BookshelfService(subcommand: "new-book", port: 8081, consulName: "newbook", tags: ["books", "new"])
    package static let bookRead = BookshelfService(subcommand: "book-read", port: 8082, consulName: "readbook", tags: ["books", "read"])
    package static let listBooks = BookshelfService(subcommand: "list-books", port: 8084, consulName: "booklist", tags: ["books", "list"])
    package static let lastRead = BookshelfService(subcommand: "last-read", port: 8080, consulName: "lastreadbooks", tags: ["books", "last"])
    package static let gateway = BookshelfService(subcommand: "gateway", port: 8000, consulName: "gateway", tags: ["books", "gateway"])

    /// The services behind the gateway, in the order `bookshelf up` starts them.
    package static let upstreams: [BookshelfService] = [newBook, bookRead, listBooks, lastRead]

    /// Every service, the gateway last.
    package static let all: [BookshelfService] = upstreams + [gateway]

    /// The highest fixed port, which bounds how far `bookshelf up --port-offset` may move the stack.
    package static var highestPort: Int { all.map(\.port).max() ?? 0 }
}
