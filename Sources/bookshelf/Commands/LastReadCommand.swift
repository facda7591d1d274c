import ArgumentParser
import BookshelfApp
import LastRead
import BookshelfServiceKit

struct LastReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: BookshelfServices.lastRead.subcommand,
        abstract: "The last-read view: GET /bookshelf/books/last/read, the five most recently finished books (port \(BookshelfServices.lastRead.port)).",
        discussion: ServiceOptions.environmentHelp(prefix: BookshelfServices.environmentPrefix)
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        let process = try ServiceProcess(bookshelf: options, defaults: LastReadService.defaults)
        let view = try process.bookshelfProjection(LastReadBooks.self)
        LastReadService(view: view).addRoutes(to: process.routes)
        try await process.run(projections: [view])
    }
}
