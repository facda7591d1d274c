import ArgumentParser
import BookshelfServiceKit
import Reviews

/// `reviews`: one process serving POST /reviews and GET /reviews/books/{bookId}, producing to and replaying
/// reviews.events. Flags fall back to REVIEWS_* environment variables (`reviews --help`).
@main
struct ReviewsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reviews",
        abstract: "The reviews service: POST /reviews produces reviews.review.posted; GET /reviews/books/{bookId} answers a book's reviews (port 8090).",
        discussion: ServiceOptions.environmentHelp(prefix: ReviewsService.defaults.environmentPrefix)
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        let process = try ServiceProcess(
            options: options, defaults: ReviewsService.defaults, events: ReviewsService.events, positionHeaders: ReviewsService.positionHeaders
        )
        let reviews = try process.projection(ReviewsByBook.self)
        ReviewsService(reviews: reviews, publisher: process.publisher, contracts: process.contracts).addRoutes(to: process.routes)
        try await process.run(projections: [reviews])
    }
}
