import BookshelfJSON
import BookshelfContracts
import Foundation
import Testing

@Suite struct ContractRegistryTests {
    let registry: ContractRegistry

    init() throws {
        registry = try ContractRegistry(folder: ContractsFixture.folder)
    }

    static let addedV1 = "https://bookshelf.example/contracts/events/bookshelf.book.added/v1.schema.json"
    static let addedV2 = "https://bookshelf.example/contracts/events/bookshelf.book.added/v2.schema.json"
    static let addedV3 = "https://bookshelf.example/contracts/events/bookshelf.book.added/v3.schema.json"
    static let finishedV1 = "https://bookshelf.example/contracts/events/bookshelf.book.finished/v1.schema.json"

    @Test func registersEverySchemaByID() {
        #expect(registry.envelopeID == "https://bookshelf.example/contracts/cloudevents/envelope.schema.json")
        #expect(registry.schemaIDs.contains("https://bookshelf.example/contracts/rest/new-book-request/new-book-request.schema.json"))
        #expect(registry.path(ofSchema: Self.addedV2) == "events/bookshelf.book.added/v2.schema.json")
        #expect(registry.schema(id: Self.addedV2 + "#/properties/isbn")?["$id"]?.string == Self.addedV2)
        #expect(registry.schema(id: "https://bookshelf.example/contracts/nothing.json") == nil)
    }

    @Test func knowsEventTypesTheirVersionsAndTheNewest() {
        #expect(registry.eventTypes == ["bookshelf.book.added", "bookshelf.book.finished"])
        #expect(registry.versions(of: "bookshelf.book.added").map(\.id) == [Self.addedV1, Self.addedV2, Self.addedV3])
        #expect(registry.newestVersion(of: "bookshelf.book.added")?.version == 3)
        #expect(registry.newestVersion(of: "bookshelf.book.finished")?.id == Self.finishedV1)
        #expect(registry.newestVersion(of: "bookshelf.book.deleted") == nil)
        #expect(registry.eventSchema(dataschema: Self.addedV1)?.type == "bookshelf.book.added")
        #expect(registry.eventSchema(dataschema: "https://bookshelf.example/contracts/events/bookshelf.book.added/v9.schema.json") == nil)
    }

    func finished(_ id: String = "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31") -> CloudEvent {
        CloudEvent(source: "/bookshelf/book-read", type: "bookshelf.book.finished", dataschema: Self.finishedV1,
                   subject: id, data: ["id": .string(id)])
    }

    @Test func aBuiltEventFollowsItsContract() throws {
        #expect(registry.violations(of: finished()).isEmpty)
        try registry.validate(finished())
    }

    @Test func newEventsUseTheNewestVersionAndAreValidated() throws {
        let book: JSONValue = ["id": "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31", "title": "Dune", "author": "Frank Herbert",
                               "published": "1965", "isbn": "9780441172719"]
        let event = try registry.newEvent(type: "bookshelf.book.added", source: "/bookshelf/new-book", data: book)
        #expect(event.dataschema == Self.addedV3)
        #expect(event.subject == "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31")
        #expect(registry.violations(of: event).isEmpty)
        do {
            _ = try registry.newEvent(type: "bookshelf.book.added", source: "/bookshelf/book-read", data: book)
            Issue.record("book.added from book-read must be refused")
        } catch {
            #expect(error.code == .contractViolation)
            #expect(error.violations.map(\.instanceLocation) == ["/source"])
        }
        #expect(throws: ContractError.self) {
            try registry.newEvent(type: "bookshelf.book.lost", source: "/bookshelf/new-book", data: book)
        }
    }

    @Test func violationsNameTheInstanceAndKeywordLocations() {
        let violations = registry.violations(of: finished("6F1C2A9E-3B7D-4C58-9E21-0A4F5D7B8C31"))
        #expect(violations.contains { $0.instanceLocation == "/data/id" && $0.keyword == "pattern" })
        #expect(violations.contains { $0.instanceLocation == "/subject" && $0.keyword == "pattern" })
        #expect(violations.allSatisfy { $0.keywordLocation.hasPrefix("/") })
    }

    @Test func decodesARecordValueThatFollowsItsContract() throws {
        let event = finished()
        let decoded = try registry.decodeEvent(event.serializedBytes())
        #expect(decoded == event)
    }

    @Test func tellsWhyARecordCannotBeRead() throws {
        #expect(throws: ContractError.self) { try registry.decodeEvent(Array("{\"id\":".utf8)) }
        do {
            _ = try registry.decodeEvent(Array("not json".utf8))
        } catch {
            #expect(error.code == .notJSON)
        }
        var unknown = finished()
        unknown.dataschema = "https://bookshelf.example/contracts/events/bookshelf.book.finished/v9.schema.json"
        do {
            _ = try registry.decodeEvent(unknown.serializedBytes())
            Issue.record("an unknown dataschema must not decode")
        } catch {
            #expect(error.code == .unknownDataSchema)
            #expect(error.violations.contains { $0.instanceLocation == "/dataschema" && $0.keyword == "enum" })
        }
        var invalid = finished()
        invalid.data = ["id": "42"]
        do {
            _ = try registry.decodeEvent(invalid.serializedBytes())
            Issue.record("an invalid event must not decode")
        } catch {
            #expect(error.code == .contractViolation)
            #expect(error.violations.contains { $0.instanceLocation == "/data/id" })
            #expect(!error.isRetryable)
        }
    }

    @Test func validatesAnyInstanceAgainstAContractByID() throws {
        let request = try JSONValue(parsing: #"{"id":"6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31","title":"Dune","author":"Frank Herbert","published":1965}"#)
        let violations = try registry.violations(of: request, against: "https://bookshelf.example/contracts/rest/new-book-request/new-book-request.schema.json")
        #expect(violations.map(\.keyword) == ["additionalProperties"])
        #expect(throws: ContractError.self) { try registry.violations(of: request, against: "https://bookshelf.example/none.json") }
    }

    @Test func everyValidEventExampleDecodesAndReEncodesToTheSameJSON() throws {
        for folder in ["events/bookshelf.book.added", "events/bookshelf.book.finished", "cloudevents"] {
            let directory = ContractsFixture.folder + "/" + folder + "/examples/valid"
            for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
                let json = try JSONValue(contentsOfFile: directory + "/" + name)
                let event = try registry.decodeEvent(json.serializedBytes())
                #expect(event.json == json, "\(folder)/\(name)")
            }
        }
    }

    @Test func aMissingFolderIsAnActionableError() {
        do {
            _ = try ContractRegistry(folder: "/nonexistent/contracts")
            Issue.record("a missing folder must not load")
        } catch {
            #expect(error.code == .folderNotFound)
            #expect(error.message.contains("/nonexistent/contracts"))
        }
    }
}

@Suite struct CloudEventTests {
    @Test func encodesAttributesInEnvelopeOrderWithOptionalSubject() throws {
        let event = CloudEvent(id: "5d1e7a3c-9f20-4b86-8c4d-1a2b3c4d5e6f", source: "/bookshelf/book-read",
                               type: "bookshelf.book.finished", time: "2026-11-26T10:00:00Z",
                               dataschema: "https://bookshelf.example/contracts/events/bookshelf.book.finished/v1.schema.json",
                               data: ["id": "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31"])
        #expect(event.json.keys == ["specversion", "id", "source", "type", "time", "datacontenttype", "dataschema", "safe", "idempotent", "data"])
        #expect(event.json["specversion"]?.string == "1.0")
        #expect(event.json["idempotent"]?.bool == true)
        var withSubject = event
        withSubject.subject = "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31"
        #expect(withSubject.json["subject"]?.string == withSubject.subject)
        #expect(try CloudEvent(json: withSubject.json) == withSubject)
    }

    @Test func newIDsAreLowercaseUUIDsAndTimestampsAreRFC3339UTC() {
        let id = CloudEvent.newID()
        #expect(id.count == 36 && id == id.lowercased())
        // RFC 9562 version 4: 8-4-4-4-12 hex digits, version nibble 4, variant 10xx.
        let ids = (0..<1_000).map { _ in Array(CloudEvent.newID().utf8) }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.count == 36)
            #expect([8, 13, 18, 23].allSatisfy { id[$0] == UInt8(ascii: "-") })
            #expect(id.enumerated().allSatisfy { [8, 13, 18, 23].contains($0.offset) || "0123456789abcdef".utf8.contains($0.element) })
            #expect(id[14] == UInt8(ascii: "4"))
            #expect("89ab".utf8.contains(id[19]))
            #expect(UUID(uuidString: String(decoding: id, as: UTF8.self)) != nil)
        }
        #expect(CloudEvent.timestamp(Date(timeIntervalSince1970: 1_795_687_200.1234)) == "2026-11-26T10:00:00.123Z")
        #expect(CloudEvent.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        // Leap days, century rules and instants before 1970 (floor, not truncation).
        #expect(CloudEvent.timestamp(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.000Z")
        #expect(CloudEvent.timestamp(Date(timeIntervalSince1970: 4_107_542_400.5)) == "2100-03-01T00:00:00.500Z")
        #expect(CloudEvent.timestamp(Date(timeIntervalSince1970: 1_582_934_400)) == "2020-02-29T00:00:00.000Z")
        #expect(CloudEvent.timestamp(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
        #expect(CloudEvent.timestamp(Date(timeIntervalSince1970: -62_135_596_800)) == "0001-01-01T00:00:00.000Z")
    }

    @Test func decodingNamesTheAttributeThatIsMissingOrMistyped() throws {
        let json = try JSONValue(parsing: #"{"specversion":"1.0","id":"x","source":"s","type":"t","time":"t","datacontenttype":"application/json","dataschema":"d","safe":"no","idempotent":true,"data":{}}"#)
        do {
            _ = try CloudEvent(json: json)
            Issue.record("safe as a string must not decode")
        } catch {
            #expect(error.violations.map(\.instanceLocation) == ["/safe"])
        }
        #expect(throws: ContractError.self) { try CloudEvent(json: .array([])) }
    }

    /// Each attribute is found by its name wherever it stands, and each missing or mistyped one is named.
    @Test(arguments: ["specversion", "id", "source", "type", "time", "datacontenttype", "dataschema", "subject", "safe", "idempotent", "data"])
    func decodingFindsEveryAttributeByName(_ name: String) throws {
        let event = CloudEvent(id: "5d1e7a3c-9f20-4b86-8c4d-1a2b3c4d5e6f", source: "/bookshelf/book-read",
                               type: "bookshelf.book.finished", time: "2026-11-26T10:00:00Z",
                               dataschema: "https://bookshelf.example/contracts/events/bookshelf.book.finished/v1.schema.json",
                               subject: "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31", safe: true, idempotent: false,
                               data: ["id": "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31"])
        let members = Array(event.json.members)
        // Reversed, with members no attribute is named like (same lengths as real ones) in between.
        var shuffled: [(String, JSONValue)] = [("ids", "x"), ("tame", "x"), ("dataschemas", "x")]
        for member in members.reversed() { shuffled += [member, ("datum", 1)] }
        #expect(try CloudEvent(json: .object(shuffled)) == event)

        // Every attribute but the optional subject must be there; every one but data has a JSON type.
        var changes: [(members: [(String, JSONValue)], problem: String)] = []
        if name != "subject" {
            changes.append((members.filter { $0.key != name }.map { ($0.key, $0.value) }, "is missing"))
        }
        if name != "data" {
            changes.append((members.map { ($0.key, $0.key == name ? JSONValue.array([]) : $0.value) }, "must be"))
        }
        for (changed, problem) in changes {
            do {
                _ = try CloudEvent(json: .object(changed))
                Issue.record("\(name) \(problem): must not decode")
            } catch {
                #expect(error.violations.map(\.instanceLocation) == ["/\(name)"])
                #expect(error.message.contains(problem))
            }
        }
    }
}

@Suite struct ContractsLocationTests {
    @Test func flagThenEnvironmentThenSearchUpwards() throws {
        let variable = "BOOKSHELF_CONTRACTS"
        #expect(try ContractsLocation.resolve(flag: "/a", environmentVariable: variable, environment: [variable: "/b"]) == "/a")
        #expect(try ContractsLocation.resolve(flag: nil, environmentVariable: variable, environment: [variable: "/b"]) == "/b")
        let inside = ContractsFixture.folder + "/rest/book"
        let found = try ContractsLocation.resolve(flag: nil, environmentVariable: variable, environment: [:], workingDirectory: inside)
        #expect(found == ContractsFixture.folder)
        let registry = try ContractsLocation.load(flag: nil, environmentVariable: variable, environment: [:], workingDirectory: inside)
        #expect(registry.folder == ContractsFixture.folder)
    }

    @Test func readsTheAppsVariableAndNoOther() throws {
        let environment = ["REVIEWS_CONTRACTS": "/reviews", "BOOKSHELF_CONTRACTS": "/bookshelf"]
        #expect(try ContractsLocation.resolve(flag: nil, environmentVariable: "REVIEWS_CONTRACTS", environment: environment) == "/reviews")
        let inside = ContractsFixture.folder + "/rest/book"
        let found = try ContractsLocation.resolve(
            flag: nil, environmentVariable: "REVIEWS_CONTRACTS", environment: ["BOOKSHELF_CONTRACTS": "/bookshelf"], workingDirectory: inside)
        #expect(found == ContractsFixture.folder)
    }

    @Test func saysHowToNameTheFolderWhenNoneIsFound() {
        do {
            _ = try ContractsLocation.resolve(flag: nil, environmentVariable: "REVIEWS_CONTRACTS", environment: [:], workingDirectory: "/")
            Issue.record("/ has no contracts folder")
        } catch {
            #expect(error.code == .folderNotFound)
            #expect(error.message.contains("--contracts"))
            #expect(error.message.contains("REVIEWS_CONTRACTS"))
            #expect(!error.message.contains("BOOKSHELF"))
        }
        do {
            _ = try ContractsLocation.load(flag: "/nonexistent/contracts", environmentVariable: "REVIEWS_CONTRACTS", environment: [:])
            Issue.record("a missing folder must not load")
        } catch {
            #expect(error.code == .folderNotFound)
            #expect(error.message == "no contracts folder at /nonexistent/contracts. Pass --contracts DIR or set REVIEWS_CONTRACTS.")
        }
    }
}
