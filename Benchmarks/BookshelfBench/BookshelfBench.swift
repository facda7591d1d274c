import ArgumentParser

/// `bookshelf-bench`: the benchmarks and the conformance runner, kept out of the shipped `bookshelf` executable.
/// Each subcommand times or checks the kit's own code, the code the services run, called through the library
/// modules; the Makefile's bench targets and `make test-suite` run them (see docs/performance.md).
@main
struct BookshelfBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bookshelf-bench",
        abstract: "Benchmarks of the Bookshelf kit, and the official JSON Schema suite against its validator.",
        subcommands: [
            ValidatorBenchCommand.self,
            RegexBenchCommand.self,
            BrokerBenchCommand.self,
            GatewayFloorCommand.self,
            TestSuiteCommand.self,
        ]
    )
}
