import ArgumentParser
import BookshelfJSON
import Dispatch
import FoundationEssentials
import Glibc
import BookshelfJSONSchema

/// `bookshelf contracts validate`: exit 0 when every instance is valid, 1 when any is invalid,
/// 2 on a usage error, malformed JSON or a bad schema.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Validate JSON documents (or JSON Lines streams) against a draft 2020-12 JSON Schema.",
        discussion: """
            Exit status: 0 every document is valid, 1 some document is invalid, 2 a usage error, \
            malformed JSON or a schema that is itself invalid (unknown type, bad pattern, unresolved $ref, \
            or not valid against the 2020-12 metaschema).
            """
    )

    enum Output: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(name: .long, help: "The schema file.")
    var schema: String

    @Option(name: .long, help: "A folder of schemas that $ref may name by $id (repeatable).")
    var contracts: [String] = []

    @Flag(name: .long, help: "Read each instance file (or -, standard input) as JSON Lines: one document a line.")
    var jsonl = false

    @Option(name: .long, help: "text (one line per error) or json (JSON Schema's \"basic\" output, one object per document).")
    var output: Output = .text

    @Flag(name: .long, help: "Make \"format\" assert (date-time, email, uuid, ...); by default it only annotates.")
    var assertFormat = false

    @Option(name: .long, help: ArgumentHelp(
        "The draft 2020-12 metaschemas (jsonschema-specifications' schemas/draft202012).",
        discussion: "Default: $BOOKSHELF_METASCHEMAS, else ./.venv (make deps-py)."))
    var metaschemas: String?

    @Argument(help: "Instance files; - reads standard input.")
    var instances: [String] = []

    func validate() throws {
        if instances.isEmpty {
            throw ArgumentParser.ValidationError("give at least one instance file (or - for standard input)")
        }
    }

    func run() throws {
        let compiled: JSONSchema
        do {
            compiled = try SchemaLoader(metaschemas: metaschemas, contracts: contracts)
                .load(schemaFile: schema, options: ValidationOptions(assertFormats: assertFormat))
        } catch {
            printError("bookshelf: bad schema \(schema): \(error)")
            throw ExitCode(2)
        }
        var report = Report(output: output)
        for path in instances {
            let bytes: Data
            do {
                bytes = try readInput(path)
            } catch {
                printError("bookshelf: \(path): \(error)")
                report.malformed += 1
                continue
            }
            if jsonl {
                validateLines(bytes, name: path, against: compiled, into: &report)
            } else {
                do {
                    let instance = try JSONValue(parsing: bytes)
                    report.record(compiled.validate(instance), name: path)
                } catch {
                    printError("\(path):\(error.line):\(error.column): malformed JSON: \(error.message)")
                    report.malformed += 1
                }
            }
        }
        report.finish()
        if report.malformed > 0 { throw ExitCode(2) }
        if report.invalid > 0 { throw ExitCode(1) }
    }

    /// One document per line; blank lines are skipped; each result names its line. Lines are
    /// parsed and validated on every core (documents are independent), then reported in order.
    private func validateLines(_ bytes: Data, name: String, against compiled: JSONSchema, into report: inout Report) {
        bytes.withUnsafeBytes { buffer in
            var lines: [Range<Int>] = []
            var start = 0
            while start < buffer.count {
                let newline = memchr(buffer.baseAddress! + start, Int32(UInt8(ascii: "\n")), buffer.count - start)
                let end = newline.map { buffer.baseAddress!.distance(to: UnsafeRawPointer($0)) } ?? buffer.count
                lines.append(start..<end)
                start = end + 1
            }
            let chunkCount = min(lines.count, ProcessInfo.processInfo.activeProcessorCount * 8)
            guard chunkCount > 0 else { return }
            let chunkSize = (lines.count + chunkCount - 1) / chunkCount
            let outcomes = UnsafeMutableBufferPointer<[LineOutcome]>.allocate(capacity: chunkCount)
            outcomes.initialize(repeating: [])
            defer {
                outcomes.deinitialize()
                outcomes.deallocate()
            }
            let work = ChunkedLines(input: buffer, lines: lines, outcomes: outcomes)
            DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
                var results: [LineOutcome] = []
                // The last chunks are empty when the lines do not fill every chunk.
                let first = min(work.lines.count, chunk * chunkSize)
                for index in first..<min(work.lines.count, first + chunkSize) {
                    let line = UnsafeRawBufferPointer(rebasing: work.input[work.lines[index]])
                    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                    do throws(JSONParseError) {
                        let instance = try JSONValue(parsing: line)
                        results.append(compiled.isValid(instance) ? .valid(line: index + 1)
                                       : .invalid(line: index + 1, compiled.validate(instance)))
                    } catch {
                        results.append(.malformed(line: index + 1, error))
                    }
                }
                work.outcomes[chunk] = results
            }
            for results in outcomes {
                for outcome in results {
                    switch outcome {
                    case .valid(let line):
                        report.recordValid { "\(name):\(line)" }
                    case .invalid(let line, let result):
                        report.record(result, name: "\(name):\(line)")
                    case .malformed(let line, let error):
                        printError("\(name):\(line):\(error.column): malformed JSON: \(error.message)")
                        report.malformed += 1
                    }
                }
            }
        }
    }

    /// The shared state of the parallel pass: the input and the line ranges are only read, and
    /// each chunk writes only its own slot of `outcomes`, so sharing it across threads is safe.
    private struct ChunkedLines: @unchecked Sendable {
        let input: UnsafeRawBufferPointer
        let lines: [Range<Int>]
        let outcomes: UnsafeMutableBufferPointer<[LineOutcome]>
    }

    private enum LineOutcome {
        case valid(line: Int)
        case invalid(line: Int, ValidationResult)
        case malformed(line: Int, JSONParseError)
    }

    private func readInput(_ path: String) throws -> Data {
        if path == "-" {
            return try readStandardInput()
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(message: "cannot read the file (missing or unreadable)")
        }
        return data
    }

    /// All of standard input, read with read(2) so that an interrupted call is retried.
    private func readStandardInput() throws -> Data {
        var bytes = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes.append(contentsOf: chunk[..<count])
            } else if count == 0 {
                return bytes
            } else if errno != EINTR {
                throw InputError(message: "cannot read standard input: \(String(cString: strerror(errno)))")
            }
        }
    }

    struct InputError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}

/// Accumulates verdicts and prints them as text or basic-output JSON.
private struct Report {
    let output: ValidateCommand.Output
    var valid = 0
    var invalid = 0
    var malformed = 0
    private var buffer: [UInt8] = []

    init(output: ValidateCommand.Output) {
        self.output = output
        buffer.reserveCapacity(1 << 16)
    }

    /// A valid JSON Lines document: text output stays silent, so the name is only built for JSON.
    mutating func recordValid(name: () -> String) {
        valid += 1
        if output == .json {
            emit(#"{"instance":"# + JSONValue.string(name()).serialized() + #","valid":true}"#)
        }
    }

    mutating func record(_ result: ValidationResult, name: String) {
        if result.isValid {
            valid += 1
            switch output {
            case .text: emit("\(name): valid")
            case .json: emit(#"{"instance":"# + JSONValue.string(name).serialized() + #","valid":true}"#)
            }
            return
        }
        invalid += 1
        switch output {
        case .text:
            for error in result.errors {
                emit("\(name): invalid \(error)")
            }
        case .json:
            var members = Array(result.basicOutput.members.map { ($0.key, $0.value) })
            members.insert(("instance", .string(name)), at: 0)
            emit(JSONValue.object(members).serialized())
        }
    }

    private mutating func emit(_ line: String) {
        buffer.append(contentsOf: line.utf8)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count > 1 << 16 { flush() }
    }

    private mutating func flush() {
        StandardStream.output.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func finish() {
        if output == .text && valid + invalid + malformed > 1 {
            emit("\(valid + invalid + malformed) documents: \(valid) valid, \(invalid) invalid"
                 + (malformed > 0 ? ", \(malformed) malformed" : ""))
        }
        flush()
    }
}


/// Builds the registry the CLI validates with: the metaschemas, `--contracts` folders, the
/// schema file itself.
struct SchemaLoader {
    let metaschemas: String?
    let contracts: [String]

    func registry() throws -> SchemaRegistry {
        var registry = SchemaRegistry()
        if let directory = metaschemas ?? SchemaRegistry.defaultMetaschemaDirectory() {
            try registry.registerMetaschemas(from: directory)
        } else {
            printError("bookshelf: note: the 2020-12 metaschemas were not found (make deps-py, or --metaschemas DIR); "
                       + "schemas are checked for unknown types, bad patterns and unresolved refs only")
        }
        for directory in contracts {
            var isDirectory = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory else {
                throw SchemaError(code: .unreadable, message: "--contracts \(directory) is not a folder")
            }
            try registry.registerDirectory(directory)
        }
        return registry
    }

    func load(schemaFile: String, options: ValidationOptions) throws -> JSONSchema {
        let document: JSONValue
        do {
            document = try JSONValue(contentsOfFile: schemaFile)
        } catch {
            throw SchemaError(code: .unreadable, message: error.code == .unreadable
                              ? "cannot read the file" : "malformed JSON at \(error)")
        }
        let registry = try registry()
        let absolute = schemaFile.hasPrefix("/") ? schemaFile : FileManager.default.currentDirectoryPath + "/" + schemaFile
        let uri = document["$id"]?.string == nil ? "file://" + absolute : nil
        return try registry.compile(document, uri: uri, options: options)
    }
}
