import ArgumentParser
import BookshelfApp
import ListBooks
import BookshelfServiceKit

struct ListBooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: BookshelfServices.listBooks.subcommand,
        abstract: "The list-books view: GET /bookshelf/books, every book in the order added (port \(BookshelfServices.listBooks.port)).",
        discussion: ServiceOptions.environmentHelp(prefix: BookshelfServices.environmentPrefix)
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        let process = try ServiceProcess(bookshelf: options, defaults: ListBooksService.defaults)
        let view = try process.bookshelfProjection(BookList.self)
        ListBooksService(view: view).addRoutes(to: process.routes)
        try await process.run(projections: [view])
    }
}
