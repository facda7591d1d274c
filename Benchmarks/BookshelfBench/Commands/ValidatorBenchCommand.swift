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
            compiled = try SchemaLoader(metaschemas: nil, contracts: contracts).load(schemaFile: schema, options: ValidationOptions())
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
}
