import BookshelfContracts
import BookshelfTesting
import Foundation
import Testing

/// The repository's contracts folder, found from this file so the tests run from any directory.
let repositoryContracts = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("contracts").path

/// A scratch copy of the repository's contracts that a test may break, removed after `body`.
func withContractsCopy<T>(_ body: (String) throws -> T) throws -> T {
    let copy = FileManager.default.temporaryDirectory.appendingPathComponent("bookshelf-testing-\(UUID().uuidString)").path
    try FileManager.default.copyItem(atPath: repositoryContracts, toPath: copy)
    defer { try? FileManager.default.removeItem(atPath: copy) }
    return try body(copy)
}

func write(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

@Suite struct ContractExamplesTests {
    @Test func everyExampleOfTheRepositoryGivesItsVerdict() throws {
        let report = ContractExamples.check(folder: repositoryContracts)
        #expect(report.failures.isEmpty, "\(report)")
        #expect(report.isPassing)
        // Both kinds are read, from events/ (against the envelope) and rest/ (against the schema beside them).
        #expect(report.valid > 10)
        #expect(report.invalid > 10)
    }

    @Test func aValidExampleTheSchemaRefusesIsNamedWithItsViolation() throws {
        let report = try withContractsCopy { folder in
            try write(#"{"title": "Dune", "author": "Frank Herbert"}"#, to: folder + "/rest/book/examples/valid/no-id.json")
            return ContractExamples.check(folder: folder)
        }
        #expect(!report.isPassing)
        let failure = try #require(report.failures.only)
        #expect(failure.file == "rest/book/examples/valid/no-id.json")
        #expect(failure.message.contains("a valid example fails its schema"))
        #expect(failure.message.contains("required"))
    }

    @Test func anInvalidExampleThatPassesOrFailsForAnotherReasonIsNamed() throws {
        let report = try withContractsCopy { folder in
            let book = #"{"id": "0e9d4b6a-8f2c-4a17-b3d5-7c1e9f0a2b64", "title": "Dune", "author": "Frank Herbert", "published": 1965}"#
            try write(#"{"description": "a valid book", "instance": \#(book), "expect": [{"instanceLocation": "", "keyword": "required"}]}"#,
                      to: folder + "/rest/book/examples/invalid/passes.json")
            let noTitle = #"{"id": "0e9d4b6a-8f2c-4a17-b3d5-7c1e9f0a2b64", "author": "Frank Herbert", "published": 1965}"#
            try write(#"{"description": "no title", "instance": \#(noTitle), "expect": [{"instanceLocation": "/title", "keyword": "minLength"}]}"#,
                      to: folder + "/rest/book/examples/invalid/wrong-reason.json")
            try write(#"{"instance": {}}"#, to: folder + "/rest/book/examples/invalid/unwrapped.json")
            return ContractExamples.check(folder: folder)
        }
        let byFile = Dictionary(grouping: report.failures, by: \.file)
        #expect(report.failures.count == 3, "\(report)")
        #expect(byFile["rest/book/examples/invalid/passes.json"]?.first?.message == "an invalid example passes its schema")
        let wrongReason = try #require(byFile["rest/book/examples/invalid/wrong-reason.json"]?.first).message
        #expect(wrongReason.hasPrefix("expected a failure of minLength at '/title'; the validator reports: required at ''"))
        #expect(byFile["rest/book/examples/invalid/unwrapped.json"]?.first?.message.contains("\"expect\"") == true)
    }

    @Test func examplesWithoutASchemaBesideThemAndFilesThatAreNotJSONAreFailures() throws {
        let report = try withContractsCopy { folder in
            try write("{}", to: folder + "/rest/orphan/examples/valid/empty.json")
            try write("{not json", to: folder + "/rest/book/examples/valid/broken.json")
            return ContractExamples.check(folder: folder)
        }
        #expect(Set(report.failures.map(\.file)) == ["rest/orphan/examples", "rest/book/examples/valid/broken.json"], "\(report)")
    }

    @Test func aFolderWithoutExamplesDoesNotPass() throws {
        let report = try withContractsCopy { folder in
            for examples in try FileManager.default.subpathsOfDirectory(atPath: folder) where examples.hasSuffix("/examples") || examples == "examples" {
                try? FileManager.default.removeItem(atPath: folder + "/" + examples)
            }
            return ContractExamples.check(folder: folder)
        }
        #expect(report.failures.isEmpty)
        #expect(report.valid + report.invalid == 0)
        #expect(!report.isPassing)
        #expect(report.description.contains("no examples found"))
    }

    @Test func aFolderThatDoesNotLoadIsOneFailure() {
        let report = ContractExamples.check(folder: "/nonexistent/contracts")
        #expect(report.failures.map(\.file) == ["/nonexistent/contracts"])
        #expect(!report.isPassing)
    }
}

extension Array {
    /// The one element, or nil when there are none or several.
    var only: Element? { count == 1 ? first : nil }
}
