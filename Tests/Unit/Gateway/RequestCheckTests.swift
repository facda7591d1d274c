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
        #expect(problem.problem.status == .badRequest)
        #expect(problem.problem.code == "invalid-path-parameter")
        #expect(!problem.violations.isEmpty)
        #expect(problem.violations.allSatisfy { $0.instanceLocation == "/path/id" })
    }

    @Test func bodiesMustBeJSON() throws {
        let add = try operation("POST", "/bookshelf/books")
        #expect(check.mediaType("application/json; charset=utf-8", of: add, bodyLength: 10) == nil)
        #expect(check.mediaType("text/plain", of: add, bodyLength: 10)?.problem.status == .unsupportedMediaType)
        #expect(check.mediaType(nil, of: add, bodyLength: 10)?.problem.status == .unsupportedMediaType)
        // An operation without a body accepts whatever is (not) sent.
        let list = try operation("GET", "/bookshelf/books")
        #expect(check.mediaType("text/plain", of: list, bodyLength: 10) == nil)
    }

    @Test func malformedJSONIs400WithWhere() throws {
        let add = try operation("POST", "/bookshelf/books")
        let problem = try #require(check.body(Array(#"{"title": "Dune",}"#.utf8), of: add))
        #expect(problem.problem.code == "malformed-json")
        #expect(problem.problem.detail.contains("line 1"))
    }

    @Test func missingRequiredBodyIs400() throws {
        let add = try operation("POST", "/bookshelf/books")
        #expect(check.body([], of: add)?.problem.code == "missing-body")
    }

    @Test func bodyViolationsAreListed() throws {
        let add = try operation("POST", "/bookshelf/books")
        let problem = try #require(check.body(Array(#"{"title":"Dune","author":"Frank Herbert","published":"1965","id":"x"}"#.utf8), of: add))
        #expect(problem.problem.code == "invalid-body")
        let locations = Set(problem.violations.map(\.instanceLocation))
        #expect(locations.contains("/published"))
        #expect(problem.violations.contains { $0.keywordLocation.hasSuffix("additionalProperties") })
    }

    @Test func validBodyPasses() throws {
        let add = try operation("POST", "/bookshelf/books")
        #expect(check.body(Array(#"{"title":"Dune","author":"Frank Herbert","published":1965,"tags":["sf"]}"#.utf8), of: add) == nil)
    }
}

extension ContractProblem: Equatable {
    public static func == (lhs: ContractProblem, rhs: ContractProblem) -> Bool {
        lhs.problem == rhs.problem && lhs.violations == rhs.violations
    }
}
