import ArgumentParser
import BookshelfApp
import NewBook
import BookshelfServiceKit

struct NewBookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: BookshelfServices.newBook.subcommand,
        abstract: "The new-book aggregate: POST /bookshelf/books produces bookshelf.book.added (port \(BookshelfServices.newBook.port)).",
        discussion: ServiceOptions.environmentHelp(prefix: BookshelfServices.environmentPrefix)
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        let process = try ServiceProcess(bookshelf: options, defaults: NewBookService.defaults)
        let state = try process.bookshelfProjection(NewBookState.self)
        NewBookService(state: state, publisher: process.publisher, contracts: process.contracts, metrics: process.metrics).addRoutes(to: process.routes)
        try await process.run(projections: [state])
    }
}
