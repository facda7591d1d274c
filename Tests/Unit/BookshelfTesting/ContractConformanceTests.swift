import BookshelfContracts
import BookshelfTesting
import Foundation
import Testing

@Suite struct ContractConformanceTests {
    let contracts = Result { () throws(ContractError) in try ContractRegistry(folder: repositoryContracts) }

    func example(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: repositoryContracts + "/" + path)))
    }

    @Test func anEventOfTheContractsPassesAndABrokenOneIsRefusedWithItsViolations() throws {
        let contracts = try contracts.get()
        let valid = try example("events/bookshelf.book.added/examples/valid/v1-dune.json")
        try contracts.expectEvent(valid)

        let broken = Array(String(decoding: valid, as: UTF8.self).replacingOccurrences(of: "\"Dune\"", with: "\"\"").utf8)
        let mismatch = try #require(throws: ContractMismatch.self) { try contracts.expectEvent(broken) }
        #expect(mismatch.violations.contains { $0.instanceLocation == "/data/title" && $0.keyword == "minLength" })
        #expect(mismatch.description.hasPrefix("the bookshelf.book.added event does not conform to \(contracts.envelopeID):"))
        #expect(mismatch.description.contains("/data/title"))
    }

    @Test func aBodyIsCheckedAgainstTheSchemaItNames() throws {
        let contracts = try contracts.get()
        let book = "https://bookshelf.example/contracts/rest/book/book.schema.json"
        try contracts.expectBody(try example("rest/book/examples/valid/dune.json"), conformsTo: book)

        let mismatch = try #require(throws: ContractMismatch.self) {
            try contracts.expectBody(Array(#"{"title": "Dune"}"#.utf8), conformsTo: book)
        }
        #expect(mismatch.contract == book)
        // One for each of id, author and published.
        #expect(mismatch.violations.map(\.keyword) == ["required", "required", "required"])
    }

    @Test func textThatIsNotJSONOrAContractThatDoesNotExistSaySo() throws {
        let contracts = try contracts.get()
        let notJSON = try #require(throws: ContractMismatch.self) { try contracts.expectEvent(Array("{\"id\": ".utf8)) }
        #expect(notJSON.reason?.hasPrefix("it is not JSON") == true)
        // A member named twice is refused: one reader would take the first, another the last.
        let twice = try #require(throws: ContractMismatch.self) {
            try contracts.expectBody(Array(#"{"a": 1, "a": 2}"#.utf8), conformsTo: "https://bookshelf.example/contracts/rest/book/book.schema.json")
        }
        #expect(twice.reason?.hasPrefix("it is not JSON") == true)
        let unknown = try #require(throws: ContractMismatch.self) {
            try contracts.expectBody(Array("{}".utf8), conformsTo: "https://bookshelf.example/contracts/rest/nothing.schema.json")
        }
        #expect(unknown.reason?.contains("no contract has the $id") == true)
    }
}
