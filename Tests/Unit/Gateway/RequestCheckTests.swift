import HTTPTypes
import BookshelfServiceKit
import Testing

@testable import Gateway

@Suite struct RequestCheckTests {
    let check = RequestCheck(validator: sharedSchemas)
    let routes = sharedContracts.routes

    func operation(_ method: String, _ path: String) throws -> RouteTable.Operation {
        guard case .operation(let operation, _) = routes.match(method: method, path: path) else {
            throw RouteMissing()
        }
        return operation
    }

    struct RouteMissing: Error {}

    @Test func canonicalUUIDPathParameterPasses() throws {
        let finish = try operation("POST", "/bookshelf/books/\(someBookID)/finished")
        #expect(check.pathParameters(["id": someBookID], of: finish) == nil)
    }

    @Test(arguments: ["xyz", "0B7C3A52-8F0E-4C1E-9A55-2F4D6F1C9E01", "\(someBookID)0", ""])
    func otherPathParametersAre400WithPointers(_ id: String) throws {
        let finish = try operation("POST", "/bookshelf/books/\(someBookID)/finished")
        let problem = try #require(check.pathParameters(["id": id], of: finish))
        #expect(problem.status == .badRequest)
        #expect(problem.code == "invalid-path-parameter")
        #expect(!problem.errors.isEmpty)
        #expect(problem.errors.allSatisfy { $0.instanceLocation == "/path/id" })
    }

    func parameters(_ query: [String: String], _ headers: HTTPFields = [:], of operation: RouteTable.Operation) -> Problem? {
        check.parameters(query: { query[$0] }, headers: headers, of: operation)
    }

    /// The same verdicts the services give (ListBooksService, ReadYourWrites, IdempotencyLedger.isUsableKey).
    @Test func queryParametersAndHeadersFollowTheirSchemas() throws {
        let list = try operation("GET", "/bookshelf/books")
        #expect(parameters([:], of: list) == nil)
        #expect(parameters(["limit": "1000", "after": someBookID], of: list) == nil)
        #expect(parameters(["limit": "0007"], of: list) == nil)
        for limit in ["0", "1001", "+5", "-1", "5.0", " 5", "", "five", "99999999999999999999"] {
            let problem = try #require(parameters(["limit": limit], of: list), "limit=\(limit)")
            #expect(problem.status == .badRequest)
            #expect(problem.errors.allSatisfy { $0.instanceLocation == "/query/limit" })
        }
        #expect(parameters(["after": someBookID.uppercased()], of: list)?.errors.first?.instanceLocation == "/query/after")
        let position = HTTPField.Name("X-Bookshelf-Min-Position")!
        for accepted in ["3:1042", "0:17, 3:1042", ""] {
            #expect(parameters([:], [position: accepted], of: list) == nil, "\(accepted)")
        }
        for refused in ["0", "0:1,,2:3", "-1:4", "0:99999999999999999999"] {
            #expect(parameters([:], [position: refused], of: list)?.errors.first?.instanceLocation == "/header/X-Bookshelf-Min-Position", "\(refused)")
        }
        let add = try operation("POST", "/bookshelf/books")
        let key = HTTPField.Name("Idempotency-Key")!
        #expect(parameters([:], [key: "retry-7"], of: add) == nil)
        #expect(parameters([:], [key: "a b"], of: add)?.status == .badRequest)
        #expect(parameters([:], [key: String(repeating: "k", count: 256)], of: add)?.status == .badRequest)
    }

    @Test func bodiesMustBeJSON() throws {
        let add = try operation("POST", "/bookshelf/books")
        #expect(check.mediaType("application/json; charset=utf-8", of: add, bodyLength: 10) == nil)
        #expect(check.mediaType("text/plain", of: add, bodyLength: 10)?.status == .unsupportedMediaType)
        #expect(check.mediaType(nil, of: add, bodyLength: 10)?.status == .unsupportedMediaType)
        // An operation without a body accepts whatever is (not) sent.
        let list = try operation("GET", "/bookshelf/books")
        #expect(check.mediaType("text/plain", of: list, bodyLength: 10) == nil)
    }

    @Test func malformedJSONIs400WithWhere() throws {
        let add = try operation("POST", "/bookshelf/books")
        let problem = try #require(check.body(Array(#"{"title": "Dune",}"#.utf8), of: add))
        #expect(problem.code == "malformed-json")
        #expect(problem.detail.contains("line 1"))
    }

    @Test func aBodyNamingAPropertyTwiceIs400() throws {
        // The gateway checks the body and forwards its bytes: a reading that differs upstream must not pass.
        let add = try operation("POST", "/bookshelf/books")
        let body = #"{"title":"One","title":"Two","author":"F","published":1965}"#
        #expect(check.body(Array(body.utf8), of: add)?.code == "malformed-json")
    }

    @Test func missingRequiredBodyIs400() throws {
        let add = try operation("POST", "/bookshelf/books")
        #expect(check.body([], of: add)?.code == "missing-body")
    }

    @Test func bodyViolationsAreListed() throws {
        let add = try operation("POST", "/bookshelf/books")
        let problem = try #require(check.body(Array(#"{"title":"Dune","author":"Frank Herbert","published":"MCMLXV","id":"x"}"#.utf8), of: add))
        #expect(problem.code == "invalid-body")
        let locations = Set(problem.errors.map(\.instanceLocation))
        #expect(locations.contains("/published"))
        #expect(problem.errors.contains { $0.keywordLocation.hasSuffix("additionalProperties") })
    }

    @Test func validBodyPasses() throws {
        let add = try operation("POST", "/bookshelf/books")
        #expect(check.body(Array(#"{"title":"Dune","author":"Frank Herbert","published":1965,"tags":["sf"]}"#.utf8), of: add) == nil)
        let original = "{\n         \"title\": \"1984\",\n\t \"author\": \"George Orwell\",\n\t \"published\": \"1949\"\n      }"
        #expect(check.body(Array(original.utf8), of: add) == nil, "the original API's documented request")
    }

    /// The original API sends the whole book to …/finished; the gateway checks it as book-read does.
    @Test func aFinishBodyIsOptionalAndMustNameThePathsBook() throws {
        let finish = try operation("POST", "/bookshelf/books/\(someBookID)/finished")
        let path = ["id": someBookID]
        #expect(check.mediaType(nil, of: finish, bodyLength: 0) == nil, "no body needs no Content-Type")
        #expect(check.mediaType("text/plain", of: finish, bodyLength: 5)?.status == .unsupportedMediaType)
        #expect(check.body([], of: finish, pathParameters: path) == nil)
        let book = #"{"id":"\#(someBookID)","title":"1984","author":"George Orwell","published":"1949"}"#
        #expect(check.body(Array(book.utf8), of: finish, pathParameters: path) == nil)
        let other = #"{"id":"6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31","title":"Dune"}"#
        let mismatch = try #require(check.body(Array(other.utf8), of: finish, pathParameters: path))
        #expect(mismatch.status == .conflict && mismatch.code == "id-mismatch")
        #expect(check.body(Array("[]".utf8), of: finish, pathParameters: path)?.code == "invalid-body")
    }
}
