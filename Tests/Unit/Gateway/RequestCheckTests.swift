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
        let problem = try #require(check.body(Array(#"{"title":"Dune","author":"Frank Herbert","published":"1965","id":"x"}"#.utf8), of: add))
        #expect(problem.code == "invalid-body")
        let locations = Set(problem.errors.map(\.instanceLocation))
        #expect(locations.contains("/published"))
        #expect(problem.errors.contains { $0.keywordLocation.hasSuffix("additionalProperties") })
    }

    @Test func validBodyPasses() throws {
        let add = try operation("POST", "/bookshelf/books")
        #expect(check.body(Array(#"{"title":"Dune","author":"Frank Herbert","published":1965,"tags":["sf"]}"#.utf8), of: add) == nil)
    }
}
