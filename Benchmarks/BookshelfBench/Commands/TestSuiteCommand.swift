import ArgumentParser
import BookshelfJSON
import FoundationEssentials
import BookshelfJSONSchema

/// `bookshelf-bench test-suite`: runs JSON-Schema-Test-Suite files (the official draft
/// 2020-12 conformance tests) against our validator, printing passed/total per file.
struct TestSuiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test-suite",
        abstract: "Run JSON-Schema-Test-Suite files against the validator (passed/total per file).",
        discussion: "Exit status 1 when any test fails, unless --report-only."
    )

    @Option(name: .long, help: "The suite's remotes/ folder, registered under http://localhost:1234/.")
    var remotes: String

    @Option(name: .long, help: "The draft 2020-12 metaschemas (default: as for validate).")
    var metaschemas: String?

    @Flag(name: .long, help: "Make \"format\" assert (for the suite's optional/format tests).")
    var assertFormat = false

    @Flag(name: .long, help: "Print the results but exit 0 even when tests fail (for optional tests).")
    var reportOnly = false

    @Flag(name: .long, help: "Print every failing test.")
    var verbose = false

    @Argument(help: "Test files (each an array of {description, schema, tests}).")
    var files: [String]

    func run() throws {
        var registry = SchemaRegistry()
        guard let metaschemaDirectory = metaschemas ?? SchemaRegistry.defaultMetaschemaDirectory() else {
            printError("bookshelf-bench: the draft 2020-12 metaschemas were not found: run make deps-py or pass --metaschemas")
            throw ExitCode(2)
        }
        try registry.registerMetaschemas(from: metaschemaDirectory)
        try registry.registerTree(remotes, baseURI: "http://localhost:1234/")
        let options = ValidationOptions(assertFormats: assertFormat)
        var passed = 0
        var total = 0
        for file in files {
            let groups = try JSONValue(contentsOfFile: file)
            var filePassed = 0
            var fileTotal = 0
            var failures: [String] = []
            for group in groups.elements {
                let description = group["description"]?.string ?? "?"
                let tests = group["tests"]?.elements ?? JSONValue.array([]).elements
                let compiled: JSONSchema
                do {
                    compiled = try registry.compile(group["schema"]!, options: options)
                } catch {
                    fileTotal += tests.count
                    failures.append("\(description): the schema does not compile: \(error)")
                    continue
                }
                for test in tests {
                    fileTotal += 1
                    let expected = test["valid"]?.bool ?? false
                    let fast = compiled.isValid(test["data"]!)
                    let full = compiled.validate(test["data"]!)
                    if fast == expected && full.isValid == expected && (expected || !full.errors.isEmpty) {
                        filePassed += 1
                    } else {
                        failures.append("\(description) / \(test["description"]?.string ?? "?"): expected "
                                        + (expected ? "valid" : "invalid") + ", got " + (fast ? "valid" : "invalid")
                                        + (fast != full.isValid ? " (error mode disagrees)" : ""))
                    }
                }
            }
            passed += filePassed
            total += fileTotal
            let name = file.split(separator: "/").suffix(file.contains("/optional/format/") ? 3 : (file.contains("/optional/") ? 2 : 1))
                .joined(separator: "/")
            print("\(filePassed == fileTotal ? "ok  " : "FAIL") \(filePassed)/\(fileTotal)  \(name)")
            if verbose || !reportOnly {
                for failure in failures { print("      - \(failure)") }
            }
        }
        print("total: \(passed)/\(total) passed")
        if passed != total && !reportOnly { throw ExitCode(1) }
    }
}
