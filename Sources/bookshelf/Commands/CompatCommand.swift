import ArgumentParser
import BookshelfJSON
import Contracts

extension CompatibilityMode: ExpressibleByArgument {}

/// `bookshelf contracts compat OLD NEW`: exit 0 compatible, 1 incompatible (one reason a line),
/// 2 when a schema cannot be read.
struct CompatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compat",
        abstract: "Check that a new schema version is compatible with an old one (Confluent Schema Registry's JSON Schema rules).",
        discussion: """
            backward: the new schema reads data written with the old one; forward: the other way round; \
            full: both. Each reason is printed on its own line as "<direction> #<JSON pointer>: <reason>". \
            Exit status: 0 compatible, 1 incompatible, 2 a schema that cannot be read.
            """
    )

    @Argument(help: "The old schema version.")
    var old: String

    @Argument(help: "The new schema version.")
    var new: String

    @Option(name: .long, help: "backward, forward or full.")
    var mode: CompatibilityMode = .backward

    @Option(name: .long, help: "A contracts folder whose schemas $ref may name by $id.")
    var contracts: String?

    func run() throws {
        do {
            let schemas = try contracts.map { try ContractRegistry(folder: $0).schemas } ?? [:]
            let reasons = CompatibilityChecker(schemas: schemas)
                .check(old: try JSONValue(contentsOfFile: old), new: try JSONValue(contentsOfFile: new), mode: mode)
            for reason in reasons { print(reason) }
            if !reasons.isEmpty { throw ExitCode(1) }
        } catch let error as JSONParseError {
            printError("bookshelf: cannot read a schema: \(error)")
            throw ExitCode(2)
        } catch let error as ContractError {
            printError("bookshelf: \(error)")
            throw ExitCode(2)
        }
    }
}
