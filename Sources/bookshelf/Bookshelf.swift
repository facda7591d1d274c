import ArgumentParser
import FoundationEssentials
import BookshelfKafka

@main
struct Bookshelf: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bookshelf",
        abstract: "An event-driven CQRS bookshelf: services, contracts and an embedded Kafka broker.",
        // The librdkafka actually loaded, since the shared library can differ from the headers built against.
        version: "bookshelf with \(LibRdKafka.summary)",
        subcommands: [
            ContractsCommand.self,
            BrokerCommand.self,
            NewBookCommand.self, BookReadCommand.self, ListBooksCommand.self, LastReadCommand.self,
            GatewayCommand.self,
            UpCommand.self,
        ]
    )

    /// Usage errors exit with status 2, the convention the commands document (ArgumentParser's
    /// own default is 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            printError(fullMessage(for: error))
            exit(withError: ExitCode(2))
        }
    }
}
