import BookshelfContracts
import Foundation
import BookshelfJSONSchema
import Testing

/// `contracts check` passes on the repository's contracts, and each kind of breakage in a scratch
/// copy makes it fail with a finding that names the broken file.
@Suite struct ContractsCheckTests {
    /// Without the metaschemas the run stops here, with one message, rather than failing each test.
    static let metaschemaDirectory: String = {
        guard let directory = SchemaRegistry.defaultMetaschemaDirectory() else {
            FileHandle.standardError.write(Data("""
                error: the JSON Schema draft 2020-12 metaschemas are not installed, so these tests cannot run.
                Run `make setup` first (it installs PyPI's jsonschema-specifications into .venv), or set BOOKSHELF_METASCHEMAS
                to a folder that holds them. Stopping the test run.

                """.utf8))
            exit(2)
        }
        return directory
    }()

    static func metaschemas() throws -> String { metaschemaDirectory }

    static func check(_ folder: String) throws -> ContractsCheck.Report {
        ContractsCheck(folder: folder, metaschemas: try metaschemas()).run()
    }

    /// Runs `check` on a copy of the contracts after `breaking` it.
    static func checkBroken(_ breaking: (String) throws -> Void) throws -> [String] {
        let copy = try ContractsFixture.copy()
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try breaking(copy)
        return try check(copy).findings.map(\.description)
    }

    static func edit(_ file: String, replacing old: String, with new: String) throws {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains(old), "\(file) no longer contains \(old)")
        try text.replacingOccurrences(of: old, with: new).write(toFile: file, atomically: true, encoding: .utf8)
    }

    @Test func theRepositoryContractsPass() throws {
        let report = try Self.check(ContractsFixture.folder)
        #expect(report.findings.map(\.description) == [])
        #expect(report.schemas == 17)
        #expect(report.examples > 100)
        #expect(report.references > 50)
    }

    @Test func failsWhenAValidExampleBreaks() throws {
        let findings = try Self.checkBroken { root in
            try Self.edit(root + "/rest/book/examples/valid/dune.json", replacing: "1965", with: "\"1965\"")
        }
        #expect(findings == ["rest/book/examples/valid/dune.json: a valid example fails its schema: at /published (schema /properties/published/$ref/type): expected integer, got string"])
    }

    @Test func failsWhenAnInvalidExampleExpectsAnotherFailure() throws {
        let findings = try Self.checkBroken { root in
            try Self.edit(root + "/events/bookshelf.book.added/examples/invalid/v2-tags-duplicate.json",
                          replacing: "\"keyword\": \"uniqueItems\"", with: "\"keyword\": \"maxItems\"")
        }
        #expect(findings.count == 1)
        #expect(findings.first?.hasPrefix("events/bookshelf.book.added/examples/invalid/v2-tags-duplicate.json: expected a 'maxItems' failure at '/data/tags'") == true)
    }

    @Test func failsWhenAnInvalidExampleBecomesValid() throws {
        let findings = try Self.checkBroken { root in
            try Self.edit(root + "/rest/new-book-request/examples/invalid/published-negative.json", replacing: "-44", with: "44")
        }
        #expect(findings == ["rest/new-book-request/examples/invalid/published-negative.json: an invalid example passes its schema"])
    }

    @Test func failsWhenASchemaLoosensUnderItsExamples() throws {
        let findings = try Self.checkBroken { root in
            try Self.edit(root + "/events/bookshelf.book.finished/v1.schema.json",
                          replacing: "\"additionalProperties\": false", with: "\"additionalProperties\": true")
        }
        #expect(findings == ["events/bookshelf.book.finished/examples/invalid/extra-property.json: an invalid example passes its schema"])
    }

    @Test func failsWhenASchemaIsNotValidAgainstTheMetaschema() throws {
        let findings = try Self.checkBroken { root in
            try Self.edit(root + "/rest/problem/problem.schema.json", replacing: "\"minimum\": 400", with: "\"minimum\": \"400\"")
        }
        #expect(findings.contains { $0.hasPrefix("rest/problem/problem.schema.json: the schema is not valid against its metaschema") })
        #expect(findings.contains("rest/problem/examples: not checked: their schema rest/problem/problem.schema.json does not compile"))
    }

    @Test func failsWhenAnIDDoesNotMatchItsPath() throws {
        let findings = try Self.checkBroken { root in
            try Self.edit(root + "/deadletter/headers.schema.json", replacing: "contracts/deadletter/headers", with: "contracts/dead-letter/headers")
        }
        #expect(findings.contains { $0.hasPrefix("deadletter/headers.schema.json: $id https://bookshelf.example/contracts/dead-letter/headers.schema.json does not match") })
    }

    @Test func failsWhenAnAPIDocumentNamesAMissingFileOrLocation() throws {
        let findings = try Self.checkBroken { root in
            try Self.edit(root + "/openapi.json", replacing: "\"rest/book-list/v2/book-list.schema.json\"", with: "\"rest/books/book-list.schema.json\"")
            try Self.edit(root + "/asyncapi.json", replacing: "\"#/components/messages/deadLetter\"", with: "\"#/components/messages/deadLetters\"")
        }
        #expect(findings.contains { $0.hasPrefix("openapi.json: openapi.json#/paths/~1bookshelf~1books/get/responses/200/content/application~1json/schema: $ref \"rest/books/book-list.schema.json\" names rest/books/book-list.schema.json") })
        #expect(findings.contains("openapi.json: the REST schema rest/book-list/v2/book-list.schema.json is used by no operation"))
        #expect(findings.contains("asyncapi.json: asyncapi.json#/channels/deadletter/messages/deadLetter: $ref \"#/components/messages/deadLetters\" names no location in asyncapi.json"))
    }

    /// A REST schema's older version stays for the clients that pin it; an operation naming it is a mistake,
    /// and a frozen version nobody names is not.
    @Test func operationsNameTheNewestVersionOfARESTSchema() throws {
        let findings = try Self.checkBroken { root in
            try Self.edit(root + "/openapi.json", replacing: "\"rest/book/v2/book.schema.json\"", with: "\"rest/book/book.schema.json\"")
        }
        #expect(findings.sorted() == [
            "openapi.json: names rest/book/book.schema.json, which rest/book/v2/book.schema.json supersedes: operations name the newest version of a REST schema",
            "openapi.json: the REST schema rest/book/v2/book.schema.json is used by no operation",
        ])
    }

    @Test func failsWhenANewEventVersionIsNotWiredIntoTheEnvelopeAndAsyncAPI() throws {
        let findings = try Self.checkBroken { root in
            let v1 = root + "/events/bookshelf.book.finished/v1.schema.json"
            let v2 = root + "/events/bookshelf.book.finished/v2.schema.json"
            try FileManager.default.copyItem(atPath: v1, toPath: v2)
            try Self.edit(v2, replacing: "finished/v1.schema.json", with: "finished/v2.schema.json")
        }
        #expect(findings.contains { $0.hasPrefix("cloudevents/envelope.schema.json: the event schema https://bookshelf.example/contracts/events/bookshelf.book.finished/v2.schema.json is missing from dataschema's enum") })
        #expect(findings.contains("asyncapi.json: no message describes events/bookshelf.book.finished/v2.schema.json (bookshelf.book.finished v2)"))
    }

    @Test func failsWhenAMessageNamesTheWrongDataFile() throws {
        let findings = try Self.checkBroken { root in
            try Self.edit(root + "/asyncapi.json", replacing: "\"$ref\": \"events/bookshelf.book.added/v1.schema.json\"",
                          with: "\"$ref\": \"events/bookshelf.book.added/v2.schema.json\"")
        }
        #expect(findings == ["asyncapi.json: components/messages/bookAddedV1: data must $ref events/bookshelf.book.added/v1.schema.json, the file of its dataschema"])
    }

    @Test func failsWhenAnEventVersionHasNoValidExampleOrAnExampleIsOfAnotherType() throws {
        let findings = try Self.checkBroken { root in
            let valid = root + "/events/bookshelf.book.added/examples/valid/"
            for name in try FileManager.default.contentsOfDirectory(atPath: valid) where name.hasPrefix("v1-") {
                try FileManager.default.removeItem(atPath: valid + name)
            }
            try FileManager.default.copyItem(atPath: root + "/events/bookshelf.book.finished/examples/valid/dune-finished.json",
                                             toPath: valid + "dune-finished.json")
        }
        #expect(findings.sorted() == [
            "events/bookshelf.book.added/examples/valid/dune-finished.json: a valid example of bookshelf.book.added must be a bookshelf.book.added event",
            "events/bookshelf.book.added/v1.schema.json: no valid example in events/bookshelf.book.added/examples/valid names this version as its dataschema",
        ])
    }

    @Test func failsWhenAnErrorResponseIsNotProblemJSON() throws {
        let findings = try Self.checkBroken { root in
            try Self.edit(root + "/openapi.json", replacing: "\"GatewayTimeout\": {\n        \"description\": \"The service behind the gateway did not answer in time.\",\n        \"content\": {\n          \"application/problem+json\"",
                          with: "\"GatewayTimeout\": {\n        \"description\": \"The service behind the gateway did not answer in time.\",\n        \"content\": {\n          \"application/json\"")
        }
        // One per operation that lists 504.
        #expect(findings.count == 5)
        #expect(findings.contains("openapi.json: POST /bookshelf/books 504: errors are application/problem+json"))
        #expect(findings.contains("openapi.json: GET /bookshelf/books/{id} 504: errors are application/problem+json"))
    }

    @Test func failsWhenAnOperationNamesAnotherChannelsMessageOrAMessageIsUnused() throws {
        let findings = try Self.checkBroken { root in
            try Self.edit(root + "/asyncapi.json", replacing: "\"#/channels/events/messages/bookFinishedV1\"",
                          with: "\"#/channels/deadletter/messages/deadLetter\"")
        }
        #expect(findings.sorted() == [
            "asyncapi.json: channels/events/messages/bookFinishedV1 is sent or received by no operation",
            "asyncapi.json: operations/bookReadSendsBookFinished: #/channels/deadletter/messages/deadLetter is not a message of its channel #/channels/events",
            "asyncapi.json: operations/lastReadReceivesBookEvents: #/channels/deadletter/messages/deadLetter is not a message of its channel #/channels/events",
        ])
    }
}
