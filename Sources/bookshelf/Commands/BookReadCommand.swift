import ArgumentParser
import BookRead
import BookshelfServiceKit

struct BookReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "book-read",
        abstract: "The book-read aggregate: POST /bookshelf/books/{id}/finished produces bookshelf.book.finished (port 8082)."
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        let process = try ServiceProcess(bookshelf: options, defaults: BookReadService.defaults)
        let state = try process.bookshelfProjection(KnownBooks.self)
        BookReadService(state: state, publisher: process.publisher, contracts: process.contracts, metrics: process.metrics).addRoutes(to: process.routes)
        try await process.run(projections: [state])
    }
}
