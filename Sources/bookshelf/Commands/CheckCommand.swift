import ArgumentParser
import BookshelfContracts
import BookshelfJSONSchema

/// `bookshelf contracts check [DIR]`: exit 0 when the contracts folder is complete and
/// consistent, 1 with one finding a line otherwise, 2 when the metaschemas cannot be found.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a contracts folder: schemas, examples, openapi.json and asyncapi.json.",
        discussion: """
            Every schema valid against the draft 2020-12 metaschema with an $id matching its path; every \
            example giving its expected verdict and failures; the envelope listing every event version; \
            every $ref of openapi.json and asyncapi.json naming an existing file and location. \
            Exit status: 0 all good, 1 findings (one a line, naming the file), 2 no metaschemas.
            """
    )

    @Argument(help: "The contracts folder (default: --contracts resolution: $BOOKSHELF_CONTRACTS, else ./contracts upwards).")
    var folder: String?

    @Option(name: .long, help: ArgumentHelp(
        "The draft 2020-12 metaschemas (jsonschema-specifications' schemas/draft202012).",
        discussion: "Default: $BOOKSHELF_METASCHEMAS, else ./.venv (make deps-py)."))
    var metaschemas: String?

    func run() throws {
        let folder: String
        do {
            folder = try ContractsLocation.resolve(flag: self.folder, environmentVariable: ContractsLocation.bookshelfVariable)
        } catch {
            printError("bookshelf: \(error)")
            throw ExitCode(2)
        }
        guard let metaschemas = metaschemas ?? SchemaRegistry.defaultMetaschemaDirectory() else {
            printError("bookshelf: no draft 2020-12 metaschemas: run make deps-py, or pass --metaschemas DIR")
            throw ExitCode(2)
        }
        let report = ContractsCheck(folder: folder, metaschemas: metaschemas).run()
        for finding in report.findings { print(finding) }
        print("contracts check: \(report.schemas) schemas, \(report.examples) examples, \(report.references) API document $refs; \(report.findings.count) finding(s)")
        if !report.isPassing { throw ExitCode(1) }
    }
}
