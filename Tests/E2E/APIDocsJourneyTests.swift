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
        // Swagger UI comes from the gateway itself, so the page works without the internet.
        let script = try XCTUnwrap(Self.attribute("src", of: "script", in: page), "the page loads Swagger UI's script")
        let stylesheet = try XCTUnwrap(Self.attribute("href", of: "link", in: page), "the page loads Swagger UI's stylesheet")
        for (url, type) in [(script, "text/javascript"), (stylesheet, "text/css")] {
            XCTAssertTrue(url.hasPrefix("/") && !url.hasPrefix("//"), "\(url) is not on the gateway")
            let file = try await shelf.send("GET", url)
            XCTAssertEqual(file.status, 200, "\(url): \(file.status)")
            XCTAssertEqual(file.header("Content-Type"), "\(type); charset=utf-8", url)
            XCTAssertGreaterThan(file.body.count, 10_000, "\(url) is Swagger UI's file")
        }
    }

    /// The value of `name` on the first `<tag …>` of the page that has it.
    static func attribute(_ name: String, of tag: String, in page: String) -> String? {
        for element in page.components(separatedBy: "<\(tag) ").dropFirst() {
            let head = element.prefix { $0 != ">" }
            guard let start = head.range(of: "\(name)=\"") else { continue }
            return String(head[start.upperBound...].prefix { $0 != "\"" })
        }
        return nil
    }
}
