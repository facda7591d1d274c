import Foundation
import Testing

/// `bookshelf contracts validate` run as a user runs it: the built executable, its exit status,
/// its output. Covers every exit path the command documents.
@Suite struct ContractsValidateCommandTests {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    let folder: String

    init() throws {
        folder = NSTemporaryDirectory() + "bookshelf-validate-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/contracts", withIntermediateDirectories: true)
        try write("book.schema.json", """
            {"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://bookshelf.example/test/book.json",
             "type":"object","required":["title","published"],
             "properties":{"title":{"type":"string","minLength":1},"published":{"type":"integer"}},
             "additionalProperties":false}
            """)
        try write("contracts/author.json", #"{"$id":"https://bookshelf.example/test/author.json","type":"string","minLength":2}"#)
        try write("by-author.schema.json", #"{"properties":{"author":{"$ref":"https://bookshelf.example/test/author.json"}}}"#)
        try write("good.json", #"{"title":"Dune","published":1965}"#)
        try write("bad.json", #"{"title":"","published":"1965"}"#)
        try write("broken.json", "{\n  \"title\": \"Dune\",\n  \"published\" 1965\n}\n")
        try write("events.jsonl", #"{"title":"Dune","published":1965}"# + "\n\n" + #"{"title":"Solaris"}"# + "\n"
                  + #"{"title":"Kindred","published":1979}"# + "\n")
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
    }

    func bookshelf(_ arguments: [String], stdin: String? = nil) throws -> Run {
        let executable = packageRoot + "/.build/debug/bookshelf"
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build bookshelf first (swift build)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["contracts", "validate"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        var environment = ProcessInfo.processInfo.environment
        if environment["BOOKSHELF_METASCHEMAS"] == nil {
            environment["BOOKSHELF_METASCHEMAS"] = JSONSchemaMetaschemas.directory
        }
        process.environment = environment
        // Files, not pipes: reading a pipe while other tests' children exit can fail with EINTR.
        let name = UUID().uuidString
        let outPath = "\(folder)/.\(name).out", errPath = "\(folder)/.\(name).err", inPath = "\(folder)/.\(name).in"
        try (stdin ?? "").write(toFile: inPath, atomically: true, encoding: .utf8)
        try Data().write(to: URL(fileURLWithPath: outPath))
        try Data().write(to: URL(fileURLWithPath: errPath))
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardInput = FileHandle(forReadingAtPath: inPath)
        try process.run()
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                   stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    @Test func validInstanceExitsZero() throws {
        let run = try bookshelf(["--schema", "book.schema.json", "good.json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "good.json: valid\n")
    }

    @Test func invalidInstanceExitsOneAndLocatesEachError() throws {
        let run = try bookshelf(["--schema", "book.schema.json", "good.json", "bad.json"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("bad.json: invalid at /title (schema /properties/title/minLength): the string is shorter than 1 characters"))
        #expect(run.stdout.contains("bad.json: invalid at /published (schema /properties/published/type): expected integer, got string"))
        #expect(run.stdout.contains("2 documents: 1 valid, 1 invalid"))
    }

    @Test func malformedJSONExitsTwoWithLineAndColumn() throws {
        let run = try bookshelf(["--schema", "book.schema.json", "broken.json"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("broken.json:3:15: malformed JSON"), "\(run.stderr)")
    }

    @Test func missingInstanceFileExitsTwo() throws {
        let run = try bookshelf(["--schema", "book.schema.json", "nowhere.json"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("nowhere.json: cannot read the file"))
    }

    @Test func usageErrorsExitTwo() throws {
        #expect(try bookshelf(["good.json"]).status == 2)  // no --schema
        #expect(try bookshelf(["--schema", "book.schema.json"]).status == 2)  // no instance
        #expect(try bookshelf(["--schema", "book.schema.json", "--output", "yaml", "good.json"]).status == 2)
    }

    @Test func badSchemasExitTwoAndSayWhy() throws {
        try write("unknown-type.json", #"{"type":"strnig"}"#)
        let unknown = try bookshelf(["--schema", "unknown-type.json", "good.json"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("\"strnig\" is not a JSON Schema type"))

        try write("bad-regex.json", #"{"pattern":"(unclosed"}"#)
        let regex = try bookshelf(["--schema", "bad-regex.json", "good.json"])
        #expect(regex.status == 2)
        #expect(regex.stderr.contains("\"(unclosed\" is not a valid ECMA-262 regular expression"))

        try write("not-a-schema.json", #"{"description":42}"#)
        let invalid = try bookshelf(["--schema", "not-a-schema.json", "good.json"])
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains("not valid against its metaschema"))

        try write("malformed-schema.json", "{\"type\":")
        let malformed = try bookshelf(["--schema", "malformed-schema.json", "good.json"])
        #expect(malformed.status == 2)
        #expect(malformed.stderr.contains("malformed JSON at line 1"))
    }

    @Test func unresolvedRefExitsTwoUnlessContractsNamesIt() throws {
        try write("author.json", #"{"author":"Le Guin"}"#)
        let unresolved = try bookshelf(["--schema", "by-author.schema.json", "author.json"])
        #expect(unresolved.status == 2)
        #expect(unresolved.stderr.contains("https://bookshelf.example/test/author.json, which no registered schema defines"))
        let resolved = try bookshelf(["--schema", "by-author.schema.json", "--contracts", "contracts", "author.json"])
        #expect(resolved.status == 0, "\(resolved.stderr)")
        try write("short-author.json", #"{"author":"L"}"#)
        #expect(try bookshelf(["--schema", "by-author.schema.json", "--contracts", "contracts", "short-author.json"]).status == 1)
    }

    @Test func jsonLinesNameTheLine() throws {
        let run = try bookshelf(["--schema", "book.schema.json", "--jsonl", "events.jsonl"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("events.jsonl:3: invalid at (root) (schema /required): the required property \"published\" is missing"))
        #expect(!run.stdout.contains("events.jsonl:1:"))
        #expect(run.stdout.contains("3 documents: 2 valid, 1 invalid"))
    }

    @Test func longJSONLinesStreamsReportInLineOrder() throws {
        // Enough lines to be split across workers: the report must still follow the file.
        let lines = (1...500).map { index in
            index % 7 == 0 ? #"{"title":"Book \#(index)"}"# : #"{"title":"Book \#(index)","published":\#(1900 + index)}"#
        }
        try write("many.jsonl", lines.joined(separator: "\n") + "\n")
        let run = try bookshelf(["--schema", "book.schema.json", "--jsonl", "many.jsonl"])
        #expect(run.status == 1)
        let reported = run.stdout.split(separator: "\n").dropLast().map { line in
            Int(line.split(separator: ":")[1])!
        }
        #expect(reported == Array(stride(from: 7, through: 500, by: 7)))
        #expect(run.stdout.hasSuffix("500 documents: 429 valid, 71 invalid\n"))
    }

    @Test(arguments: [2, 17, 20, 33, 40])
    func jsonLinesStreamsOfEveryLengthAreSplitSafely(count: Int) throws {
        // Line counts that leave the last chunks of the split empty once crashed the CLI.
        let lines = (1...count).map { #"{"title":"Book \#($0)","published":\#(1900 + $0)}"# }
        try write("n.jsonl", lines.joined(separator: "\n") + "\n")
        let run = try bookshelf(["--schema", "book.schema.json", "--jsonl", "n.jsonl"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasSuffix("\(count) documents: \(count) valid, 0 invalid\n"), "\(run.stdout)")
    }

    @Test func jsonLinesFromStandardInputWithAMalformedLine() throws {
        let run = try bookshelf(["--schema", "book.schema.json", "--jsonl", "-"],
                                stdin: #"{"title":"Dune","published":1965}"# + "\n" + #"{"title":"#)
        #expect(run.status == 2)
        #expect(run.stderr.contains("-:2:"))
        #expect(run.stderr.contains("malformed JSON"))
    }

    @Test func jsonOutputIsBasicFormat() throws {
        let run = try bookshelf(["--schema", "book.schema.json", "--output", "json", "good.json", "bad.json"])
        #expect(run.status == 1)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        try #require(lines.count == 2, "\(run.stdout)\(run.stderr)")
        let good = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        #expect(good?["instance"] as? String == "good.json")
        #expect(good?["valid"] as? Bool == true)
        let bad = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any]
        #expect(bad?["valid"] as? Bool == false)
        let errors = bad?["errors"] as? [[String: Any]] ?? []
        #expect(errors.count == 2)
        #expect(errors.contains {
            $0["instanceLocation"] as? String == "/published"
                && $0["keywordLocation"] as? String == "/properties/published/type"
                && $0["absoluteKeywordLocation"] as? String == "https://bookshelf.example/test/book.json#/properties/published/type"
                && ($0["error"] as? String)?.isEmpty == false
        })
    }
}
