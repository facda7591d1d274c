import BookshelfJSON
@testable import BookshelfContracts
import Testing

/// `$ref`s resolve by URI against their document's `$id`, the way the contracts' relative refs
/// (`../book/book.schema.json#/$defs/id`) are written.
@Suite struct SchemaReferenceTests {
    let base = "https://bookshelf.example/contracts/rest/new-book-request/new-book-request.schema.json"

    @Test func resolvesRelativePathsAndDotSegments() {
        #expect(SchemaReference.resolve("../book/book.schema.json#/$defs/id", against: base)
                == ("https://bookshelf.example/contracts/rest/book/book.schema.json", "/$defs/id"))
        #expect(SchemaReference.resolve("./x.json", against: base) == ("https://bookshelf.example/contracts/rest/new-book-request/x.json", ""))
        #expect(SchemaReference.resolve("/other.json", against: base) == ("https://bookshelf.example/other.json", ""))
        #expect(SchemaReference.resolve("../../../../up.json", against: base) == ("https://bookshelf.example/up.json", ""))
    }

    @Test func fragmentOnlyStaysInTheDocumentAndAbsoluteURIsWin() {
        #expect(SchemaReference.resolve("#/properties/title", against: base) == (base, "/properties/title"))
        #expect(SchemaReference.resolve("urn:example:thing#/a", against: base) == ("urn:example:thing", "/a"))
        #expect(SchemaReference.resolve("https://elsewhere.example/s.json", against: base) == ("https://elsewhere.example/s.json", ""))
    }

    @Test func decodesPercentEscapesInFragments() {
        #expect(SchemaReference.split("#/$defs/a%20b").fragment == "/$defs/a b")
        #expect(SchemaReference.split("#/a%2").fragment == "/a%2")
    }

    @Test func jsonPointersEscapeAndResolve() throws {
        #expect(JSONPointer.appending("a/b~c", to: "/paths") == "/paths/a~1b~0c")
        let document = try JSONValue(parsing: #"{"paths":{"a/b~c":[10,20]}}"#)
        #expect(JSONPointer.resolve("/paths/a~1b~0c/1", in: document)?.int == 20)
        #expect(JSONPointer.resolve("/paths/a~1b~0c/01", in: document) == nil)
        #expect(JSONPointer.resolve("/missing", in: document) == nil)
        #expect(JSONPointer.resolve("", in: document) == document)
    }
}
