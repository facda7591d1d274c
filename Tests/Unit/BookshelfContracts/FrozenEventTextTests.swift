import BookshelfJSON
import BookshelfContracts
import Foundation
import Testing

/// The REST request refuses control characters in a book's text; the released event schemas do not, and
/// must not: data already written may hold such text. The checker has to say that tightening them is
/// BACKWARD-incompatible, whichever way the tightening is written.
@Suite struct FrozenEventTextTests {
    let checker = CompatibilityChecker()

    /// The pattern contracts/rest/new-book-request holds human text to.
    func requestTextPattern() throws -> String {
        let request = try JSONValue(contentsOfFile: ContractsFixture.folder + "/rest/new-book-request/v2/new-book-request.schema.json")
        return try #require(request["$defs"]?["plainText"]?["pattern"]?.string)
    }

    func releasedAdded(_ version: Int) throws -> String {
        try String(contentsOfFile: ContractsFixture.folder + "/events/bookshelf.book.added/v\(version).schema.json", encoding: .utf8)
    }

    @Test func tighteningTheTextPatternOfAReleasedEventIsBackwardIncompatible() throws {
        let released = try releasedAdded(2)
        let loose = #""pattern": "[^ \\t\\r\\n]""#
        #expect(released.contains(loose), "v2's text pattern moved; update this test")
        let pattern = try requestTextPattern()
        let tightened = released.replacingOccurrences(of: loose, with: #""pattern": "# + JSONValue.string(pattern).serialized())
        let reasons = checker.check(old: try JSONValue(parsing: released), new: try JSONValue(parsing: tightened), mode: .backward)
        for property in ["title", "author"] {
            #expect(reasons.contains { $0.direction == .backward && $0.location.hasPrefix("/properties/\(property)") && $0.reason.contains("pattern changed") },
                    "\(property): \(reasons)")
        }
        // Without the change the released schema is compatible with itself, so the finding is the pattern's.
        #expect(checker.check(old: try JSONValue(parsing: released), new: try JSONValue(parsing: released), mode: .backward).isEmpty)
    }

    @Test func addingTheRestrictionBesideTheReleasedTextIsBackwardIncompatibleToo() throws {
        var v2 = try JSONValue(parsing: try releasedAdded(2))
        let plain = JSONValue.object([("type", .string("string")), ("pattern", .string(try requestTextPattern()))])
        v2 = .object(v2.members.map { ($0.key, $0.value) } + [("allOf", .array([.object([
            ("properties", .object([("title", plain), ("author", plain), ("tags", .object([("items", plain)]))])),
        ])]))])
        let reasons = checker.check(old: try JSONValue(parsing: try releasedAdded(2)), new: v2, mode: .backward)
        for property in ["title", "author", "tags/items"] {
            #expect(reasons.contains { $0.direction == .backward && $0.location.hasPrefix("/allOf/0/properties/\(property)") && $0.reason.contains("pattern") },
                    "\(property): \(reasons)")
        }
    }
}
