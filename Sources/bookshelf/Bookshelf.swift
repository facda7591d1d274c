import ArgumentParser

@main
struct Bookshelf: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bookshelf",
        abstract: "An event-driven CQRS bookshelf: services, contracts and an embedded Kafka broker.",
        subcommands: [
            NewBookCommand.self, BookReadCommand.self, ListBooksCommand.self, LastReadCommand.self,
            UpCommand.self,
        ]
    )
}
