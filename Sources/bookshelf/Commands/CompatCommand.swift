import ArgumentParser
import BookshelfJSON
import BookshelfContracts

extension CompatibilityMode: ExpressibleByArgument {}

/// `bookshelf contracts compat OLD NEW`: exit 0 compatible, 1 incompatible (one reason a line,
/// each with its witness), 2 when a schema cannot be read.
struct CompatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compat",
        abstract: "Check that a new schema version is compatible with an old one (Confluent Schema Registry's JSON Schema rules).",
        discussion: """
            backward: the new schema reads data written with the old one; forward: the other way round; \
            full: both. Each reason is printed on its own line as "<direction> #<JSON pointer>: <reason>", \
            followed by its witness: a document the writing version accepts and the reading one refuses, \
            checked with the validator ("witness: none found" when the search finds none). \
            Rule ids and the JSON output are described in docs/contracts-tooling.md. \
            Exit status: 0 compatible, 1 incompatible, 2 a schema that cannot be read.
            """
    )

    enum Output: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Argument(help: "The old schema version.")
    var old: String

    @Argument(help: "The new schema version.")
    var new: String

    @Option(name: .long, help: "backward, forward or full.")
    var mode: CompatibilityMode = .backward

    @Option(name: .long, help: "A contracts folder whose schemas $ref may name by $id.")
    var contracts: String?

    @Option(name: .long, help: "text (a line per reason and its witness) or json (one object).")
    var output: Output = .text

    @Flag(name: .long, help: "Also search for documents that tell the versions apart where the rules say compatible.")
    var semantic = false

    func run() throws {
        let report: CompatibilityReport
        do {
            let schemas = try contracts.map { try ContractRegistry(folder: $0).schemas } ?? [:]
            report = CompatibilityChecker(schemas: schemas)
                .report(old: try JSONValue(contentsOfFile: old), new: try JSONValue(contentsOfFile: new), mode: mode, semantic: semantic)
        } catch let error as JSONParseError {
            printError("bookshelf: cannot read a schema: \(error)")
            throw ExitCode(2)
        } catch let error as ContractError {
            printError("bookshelf: \(error)")
            throw ExitCode(2)
        }
        switch output {
        case .text:
            for finding in report.findings {
                StandardStream.output.write(finding.lines.joined(separator: "\n") + "\n")
            }
        case .json:
            StandardStream.output.write(report.json.serialized() + "\n")
        }
        if !report.compatible { throw ExitCode(1) }
    }
}
