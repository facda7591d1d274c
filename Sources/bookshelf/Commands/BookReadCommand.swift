import ArgumentParser
import BookshelfApp
import BookRead
import BookshelfServiceKit

struct BookReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: BookshelfServices.bookRead.subcommand,
        abstract: "The book-read aggregate: POST /bookshelf/books/{id}/finished produces bookshelf.book.finished (port \(BookshelfServices.bookRead.port)).",
        discussion: ServiceOptions.environmentHelp(prefix: BookshelfServices.environmentPrefix)
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        let process = try ServiceProcess(bookshelf: options, defaults: BookReadService.defaults)
        let state = try process.bookshelfProjection(KnownBooks.self)
        BookReadService(state: state, publisher: process.publisher, contracts: process.contracts, metrics: process.metrics).addRoutes(to: process.routes)
        try await process.run(projections: [state])
    }
}
