import ArgumentParser
import BookshelfContracts

extension ContractsDiffReport.Format: ExpressibleByArgument {}

/// `bookshelf contracts diff --base REF [DIR]`: the contracts folder against a git revision;
/// exit 0 nothing breaking, 1 breaking, 2 when either side cannot be read.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare a contracts folder with the same folder at a git revision: a gate for CI.",
        discussion: """
            Breaking: an edited or deleted released event version, a new version not compatible with \
            the earlier ones under the folder's mode (default BACKWARD_TRANSITIVE), a removed OpenAPI \
            operation or response field, a newly required request field, a narrowed type, a removed \
            AsyncAPI channel, message or header, a changed Kafka key schema. Rule ids: docs/contracts-tooling.md. \
            Exit status: 0 nothing breaking, 1 breaking, 2 a side that cannot be read.
            """
    )

    @Option(name: .long, help: "The git revision to compare with (a commit, branch or tag, e.g. origin/main or HEAD~1).")
    var base: String

    @Argument(help: "The contracts folder, in a git working tree.")
    var folder: String = "contracts"

    @Option(name: .long, help: "text, json, junit, github (workflow annotations) or markdown (a pull-request comment).")
    var format: ContractsDiffReport.Format = .text

    func run() throws {
        let report: ContractsDiffReport
        do {
            let head = try ContractsSnapshot(folder: folder)
            let old = try GitRevision(folder: folder, revision: base).snapshot()
            report = ContractsDiff(base: old, head: head).report(baseName: base)
        } catch {
            printError("bookshelf: \(error)")
            throw ExitCode(2)
        }
        StandardStream.output.write(report.rendered(format, folder: folder))
        if report.isBreaking { throw ExitCode(1) }
    }
}
