import ArgumentParser
import BookshelfJSON
import FoundationEssentials
import BookshelfJSONSchema

/// `bookshelf-bench validator`: validations per second of one schema over pre-parsed instances,
/// the figure `make bench-validate` sets beside other validators (which also get parsed input).
struct ValidatorBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validator",
        abstract: "Time the validator: validations per second over a JSON Lines file of instances."
    )

    @Option(name: .long, help: "The schema file.")
    var schema: String

    @Option(name: .long, help: "A folder of schemas that $ref may name by $id (repeatable), as for `contracts validate`.")
    var contracts: [String] = []

    @Option(name: .long, help: "Passes over the instances; the best pass is reported.")
    var rounds = 5

    @Argument(help: "A JSON Lines file of instances.")
    var instances: String

    func run() throws {
        let compiled: JSONSchema
        do {
            compiled = try load()
        } catch {
            printError("bookshelf-bench: bad schema \(schema): \(error)")
            throw ExitCode(2)
        }
        guard let data = FileManager.default.contents(atPath: instances) else {
            printError("bookshelf-bench: cannot read \(instances)")
            throw ExitCode(2)
        }
        let documents = try data.split(separator: UInt8(ascii: "\n")).map { try JSONValue(parsing: $0) }
        var best = (cpu: Double.infinity, wall: Double.infinity)
        var valid = 0
        for _ in 0..<max(1, rounds) {
            let start = (cpu: threadCPUTime(), wall: ContinuousClock.now)
            valid = 0
            for document in documents where compiled.isValid(document) {
                valid += 1
            }
            let wall = ContinuousClock.now - start.wall
            best.cpu = min(best.cpu, threadCPUTime() - start.cpu)
            best.wall = min(best.wall, Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18)
        }
        print(#"{"instances":\#(documents.count),"valid":\#(valid),"cpu_seconds":\#(best.cpu),"wall_seconds":\#(best.wall)}"#)
    }

    /// The schema compiled as `bookshelf contracts validate` compiles it: the metaschemas (when found), the
    /// `--contracts` folders, then the file, identified by its path when it has no `$id`.
    private func load() throws -> JSONSchema {
        var registry = SchemaRegistry()
        if let directory = SchemaRegistry.defaultMetaschemaDirectory() {
            try registry.registerMetaschemas(from: directory)
        }
        for directory in contracts {
            try registry.registerDirectory(directory)
        }
        let document = try JSONValue(contentsOfFile: schema)
        let absolute = schema.hasPrefix("/") ? schema : FileManager.default.currentDirectoryPath + "/" + schema
        return try registry.compile(document, uri: document["$id"]?.string == nil ? "file://" + absolute : nil, options: ValidationOptions())
    }
}
