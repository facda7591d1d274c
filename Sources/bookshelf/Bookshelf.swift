import ArgumentParser
import Foundation

@main
struct Bookshelf: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bookshelf",
        abstract: "An event-driven CQRS bookshelf: services, contracts and an embedded Kafka broker.",
        subcommands: [
            ContractsCommand.self,
            NewBookCommand.self, BookReadCommand.self, ListBooksCommand.self, LastReadCommand.self,
            GatewayCommand.self,
            UpCommand.self,
            BrokerCommand.self,
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
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            exit(withError: ExitCode(2))
        }
    }
}
