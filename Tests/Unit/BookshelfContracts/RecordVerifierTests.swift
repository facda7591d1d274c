import BookshelfJSON
import BookshelfContracts
import Foundation
import Testing

/// verify-topic's checks on single records, against the repository's asyncapi.json.
@Suite struct RecordVerifierTests {
    let verifier: RecordVerifier
    let event: JSONValue
    static let contentType = [(name: "content-type", value: Array("application/cloudevents+json".utf8))]

    init() throws {
        let registry = try ContractRegistry(folder: ContractsFixture.folder)
        verifier = try RecordVerifier(registry: registry, topic: "bookshelf.events")
        event = try JSONValue(contentsOfFile: ContractsFixture.folder + "/events/bookshelf.book.added/examples/valid/v1-dune.json")
    }

    var key: [UInt8] { Array(event["subject"]!.string!.utf8) }

    func value(_ document: JSONValue) -> [UInt8] { Array(document.serialized().utf8) }

    func replacing(_ name: String, with value: JSONValue?, in document: JSONValue) -> JSONValue {
        .object(document.members.filter { $0.key != name }.map { ($0.key, $0.value) } + (value.map { [(name, $0)] } ?? []))
    }

    @Test func aConformingRecordHasNoProblems() {
        #expect(verifier.problems(key: key, headers: Self.contentType, value: value(event)) == [])
    }

    @Test func aKeyThatIsNotTheSubjectIsNamed() {
        let problems = verifier.problems(key: Array("00000000-0000-4000-8000-000000000000".utf8), headers: Self.contentType, value: value(event))
        #expect(problems == [#"key "00000000-0000-4000-8000-000000000000" is not the event's subject "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31""#])
    }

    @Test func aKeyOutsideTheKeySchemaIsNamed() {
        let problems = verifier.problems(key: Array("book-1".utf8), headers: Self.contentType, value: value(event))
        #expect(problems.contains { $0.hasPrefix(#"key "book-1" does not match the message's key schema"#) })
    }

    @Test func aMissingOrWrongContentTypeIsNamed() {
        #expect(verifier.problems(key: key, headers: [], value: value(event)).first == "header content-type missing (expected application/cloudevents+json)")
        let json = [(name: "content-type", value: Array("application/json".utf8))]
        #expect(verifier.problems(key: key, headers: json, value: value(event)).contains {
            $0 == "header content-type is application/json, expected application/cloudevents+json"
        })
    }

    @Test func anInvalidValueNamesTheLocation() {
        let data = replacing("title", with: nil, in: event["data"]!)
        let problems = verifier.problems(key: key, headers: Self.contentType, value: value(replacing("data", with: data, in: event)))
        #expect(problems == [#"value/data: the required property "title" is missing"#])
    }

    @Test func aValueThatIsNotJSONOrOfNoMessageIsNamed() {
        #expect(verifier.problems(key: key, headers: Self.contentType, value: Array("{".utf8)).first?.hasPrefix("value is not JSON") == true)
        let unknown = replacing("type", with: "bookshelf.book.lost", in: event)
        #expect(verifier.problems(key: key, headers: Self.contentType, value: value(unknown)).first?
            .hasPrefix("value: no message of channel events has this type and dataschema") == true)
    }

    @Test func aTopicWithoutAChannelIsAnError() throws {
        let registry = try ContractRegistry(folder: ContractsFixture.folder)
        #expect(throws: ContractError.self) { try RecordVerifier(registry: registry, topic: "no.such.topic") }
    }
}
