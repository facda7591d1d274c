import BookshelfServiceKit
import Reviews
import Testing

/// The reviews app reads its settings under its own prefix, `REVIEWS_`, and never the Bookshelf app's.
@Suite struct SettingsTests {
    @Test func theServiceReadsItsOwnVariablesAndIgnoresBookshelfs() throws {
        let environment = [
            "REVIEWS_PORT": "9190", "REVIEWS_BROKER": "kafka:9092", "REVIEWS_CONTRACTS": "/srv/reviews/contracts",
            "BOOKSHELF_PORT": "9000", "BOOKSHELF_HOST": "0.0.0.0", "BOOKSHELF_CONSUL": "http://consul:8500", "BOOKSHELF_SERVICE_NAME": "booklist",
        ]
        let configuration = try ServiceOptions.parse([]).resolve(defaults: ReviewsService.defaults, environment: environment)
        #expect(configuration.port == 9190)
        #expect(configuration.broker == "kafka:9092")
        #expect(configuration.contracts == "/srv/reviews/contracts")
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.consul == nil)
        #expect(configuration.name == "reviews")
    }

    @Test func onlyBookshelfsVariablesLeaveTheDefaults() throws {
        let environment = ["BOOKSHELF_PORT": "9000", "BOOKSHELF_BROKER": "elsewhere:9092", "BOOKSHELF_KAFKA_CONFIG": "linger.ms=1"]
        let configuration = try ServiceOptions.parse([]).resolve(defaults: ReviewsService.defaults, environment: environment)
        #expect(configuration.port == 8090)
        #expect(configuration.broker == "127.0.0.1:9092")
        let properties = try ServiceOptions.parse([]).kafkaProperties(
            settings: Settings(prefix: ReviewsService.defaults.environmentPrefix, environment: environment))
        #expect(properties.isEmpty)
    }

    @Test func aBadValueNamesTheReviewsVariable() {
        let error = #expect(throws: (any Error).self) {
            try ServiceOptions.parse([]).resolve(defaults: ReviewsService.defaults, environment: ["REVIEWS_PORT": "eighty"])
        }
        #expect(error.map { String(describing: $0) } == "REVIEWS_PORT is 'eighty', not a number from 0 to 65535")
    }

    /// What `reviews --help` says of the environment: the options' `<PREFIX>_NAME`, and the discussion's
    /// REVIEWS_ names; nothing of Bookshelf's.
    @Test func theHelpNamesTheReviewsVariables() {
        let options = ServiceOptions.helpMessage()
        let discussion = ServiceOptions.environmentHelp(prefix: ReviewsService.defaults.environmentPrefix)
        #expect(!options.contains("BOOKSHELF"))
        #expect(!discussion.contains("BOOKSHELF"))
        for variable in ["REVIEWS_PORT", "REVIEWS_BROKER", "REVIEWS_KAFKA_CONFIG", "REVIEWS_CONTRACTS", "REVIEWS_LOG_LEVEL"] {
            #expect(discussion.contains(variable))
        }
    }
}
