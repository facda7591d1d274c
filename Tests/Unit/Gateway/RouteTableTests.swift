import BookshelfJSON
import Testing

@testable import Gateway

@Suite struct RouteTableTests {
    let routes = sharedContracts.routes

    func operation(_ method: String, _ path: String) -> (RouteTable.Operation, [String: String])? {
        if case .operation(let operation, let parameters) = routes.match(method: method, path: path) { return (operation, parameters) }
        return nil
    }

    @Test func everyPublicOperationRoutesToItsService() {
        #expect(operation("POST", "/bookshelf/books")?.0.upstream == "newbook")
        #expect(operation("GET", "/bookshelf/books")?.0.upstream == "booklist")
        #expect(operation("POST", "/bookshelf/books/\(someBookID)/finished")?.0.upstream == "readbook")
        #expect(operation("GET", "/bookshelf/books/last/read")?.0.upstream == "lastreadbooks")
        #expect(routes.operations.map(\.id).sorted() == ["addBook", "finishBook", "getBook", "lastReadBooks", "listBooks"])
    }

    @Test func pathParametersAreBoundAndDecoded() {
        #expect(operation("POST", "/bookshelf/books/\(someBookID)/finished")?.1 == ["id": someBookID])
        #expect(operation("POST", "/bookshelf/books/a%20b/finished")?.1 == ["id": "a b"])
        // A malformed escape is no path we know.
        #expect(routes.match(method: "POST", path: "/bookshelf/books/%zz/finished") == .notFound)
    }

    @Test func literalSegmentsWinOverParameters() {
        // "last" could be an {id}; the literal route must be chosen, and it has no POST.
        #expect(operation("GET", "/bookshelf/books/last/read")?.0.id == "lastReadBooks")
        #expect(routes.match(method: "POST", path: "/bookshelf/books/last/read") == .methodNotAllowed(allowed: ["GET", "HEAD", "OPTIONS"]))
    }

    @Test func wrongMethodListsTheAllowedOnes() {
        #expect(routes.match(method: "DELETE", path: "/bookshelf/books") == .methodNotAllowed(allowed: ["GET", "HEAD", "POST", "OPTIONS"]))
        #expect(routes.match(method: "GET", path: "/bookshelf/books/\(someBookID)/finished") == .methodNotAllowed(allowed: ["POST", "OPTIONS"]))
        #expect(routes.match(method: "TRACE", path: "/bookshelf/books/\(someBookID)") == .methodNotAllowed(allowed: ["GET", "HEAD", "OPTIONS"]))
    }

    @Test func oneBookByIdIsRoutedToListBooks() {
        #expect(operation("GET", "/bookshelf/books/\(someBookID)")?.0.upstream == "booklist")
        #expect(operation("GET", "/bookshelf/books/\(someBookID)")?.1 == ["id": someBookID])
    }

    /// What the gateway checks before forwarding, read from the document: each parameter's place, schema and type.
    @Test func queryAndHeaderParametersAreReadFromTheDocument() throws {
        let list = try #require(operation("GET", "/bookshelf/books")?.0)
        #expect(list.queryParameters.map(\.name) == ["limit", "after"])
        #expect(list.queryParameters.map(\.isInteger) == [true, false])
        #expect(list.headerParameters.map(\.name) == ["X-Bookshelf-Min-Position"])
        #expect(list.headerParameters.first?.schemaID == "https://bookshelf.example/contracts/rest/position/position.schema.json")
        let add = try #require(operation("POST", "/bookshelf/books")?.0)
        #expect(add.headerParameters.map(\.name) == ["Idempotency-Key"])
        #expect(try #require(operation("POST", "/bookshelf/books/\(someBookID)/finished")?.0).headerParameters.map(\.name) == ["X-Bookshelf-Min-Position"])
    }

    @Test func headIsAnsweredWhereGetIs() {
        #expect(operation("HEAD", "/bookshelf/books")?.0.id == "listBooks")
    }

    @Test(arguments: ["/bookshelf/books/", "/bookshelf//books", "/bookshelf", "/bookshelf/books/\(someBookID)/read", "/bookshelf/books/x/finished/y", ""])
    func unknownPathsAreNotFound(_ path: String) {
        #expect(routes.match(method: "GET", path: path) == .notFound)
    }

    @Test func schemasAreNamedByAbsoluteID() throws {
        let add = try #require(operation("POST", "/bookshelf/books")?.0)
        #expect(add.body?.required == true)
        #expect(add.body?.mediaTypes == ["application/json"])
        #expect(add.body?.schemaID == "https://bookshelf.example/contracts/rest/new-book-request/v2/new-book-request.schema.json")
        let finish = try #require(operation("POST", "/bookshelf/books/\(someBookID)/finished")?.0)
        #expect(finish.pathParameters == [.init(name: "id", schemaID: "https://bookshelf.example/contracts/rest/book/book.schema.json#/$defs/id", required: true)])
        #expect(finish.body == .init(required: false, mediaTypes: ["application/json"], schemaID: "https://bookshelf.example/contracts/rest/finish-book-request/finish-book-request.schema.json"))
    }

    @Test func anOperationWithoutAnUpstreamIsAStartUpError() throws {
        let document = try JSONValue(parsing: #"{"paths":{"/x":{"get":{"operationId":"mystery"}}}}"#)
        #expect(throws: GatewayError.self) {
            try RouteTable(openAPI: document) { (reference: String) throws(GatewayError) -> String in reference }
        }
    }
}
