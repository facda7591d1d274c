import Foundation
import XCTest

/// A developer about to integrate opens the API documentation.
final class APIDocsJourneyTests: XCTestCase {
    func testTheOpenAPIDocumentDescribesEveryOperation() async throws {
        let shelf = try Bookshelf.fromEnvironment()
        let reply = try await shelf.send("GET", "/apidocs/openapi.json")
        XCTAssertEqual(reply.status, 200, "\(reply)")
        let document = try XCTUnwrap(reply.json as? [String: Any], "\(reply)")
        XCTAssertTrue((document["openapi"] as? String)?.hasPrefix("3.1") == true, "OpenAPI 3.1: \(document["openapi"] ?? "none")")
        let paths = try XCTUnwrap(document["paths"] as? [String: [String: Any]])
        XCTAssertNotNil(paths["/bookshelf/books"]?["post"])
        XCTAssertNotNil(paths["/bookshelf/books"]?["get"])
        XCTAssertNotNil(paths["/bookshelf/books/{id}/finished"]?["post"])
        XCTAssertNotNil(paths["/bookshelf/books/last/read"]?["get"])
    }

    func testTheSwaggerPageLoadsTheDocument() async throws {
        let shelf = try Bookshelf.fromEnvironment()
        let reply = try await shelf.send("GET", "/apidocs/index.html")
        XCTAssertEqual(reply.status, 200, "\(reply)")
        XCTAssertTrue(reply.header("Content-Type")?.hasPrefix("text/html") == true, "\(reply)")
        let page = String(decoding: reply.body, as: UTF8.self)
        XCTAssertTrue(page.contains("openapi.json"), "the page points Swagger UI at the document")
    }
}
