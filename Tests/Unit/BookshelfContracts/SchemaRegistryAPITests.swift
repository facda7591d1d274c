import BookshelfJSON
import BookshelfContracts
import Testing

/// The registry API over the repository's contracts folder, request by request.
@Suite struct SchemaRegistryAPITests {
    let registry: ContractRegistry
    let api: SchemaRegistryAPI

    init() throws {
        registry = try ContractRegistry(folder: ContractsFixture.folder)
        api = try SchemaRegistryAPI(registry: registry)
    }

    func get(_ path: String) -> SchemaRegistryAPI.Answer {
        api.respond(method: "GET", path: path, query: [:], body: [])
    }

    func post(_ path: String, schema: JSONValue, query: [String: String] = [:]) -> SchemaRegistryAPI.Answer {
        let body: JSONValue = ["schema": .string(schema.serialized()), "schemaType": "JSON"]
        return api.respond(method: "POST", path: path, query: query, body: Array(body.serialized().utf8))
    }

    @Test func subjectsAreTheEventTypesTheEnvelopeAndTheOtherSchemas() {
        let subjects = get("/subjects").body.elements.compactMap(\.string)
        for type in registry.eventTypes { #expect(subjects.contains(type)) }
        #expect(subjects.contains("bookshelf.events-value"))
        #expect(subjects.contains("rest.book"))
        #expect(subjects.contains("deadletter.headers"))
        #expect(!subjects.contains { $0.contains(".v2.") }, "a REST body's v2 file is a version of its subject, not a subject: \(subjects)")
    }

    @Test func aRESTBodysVersionFoldersAreVersionsOfOneSubject() {
        #expect(get("/subjects/rest.book/versions").body.elements.compactMap(\.int) == [1, 2])
        let latest = get("/subjects/rest.book/versions/latest").body
        #expect(latest["version"]?.int == 2)
        #expect(latest["schema"]?.string?.contains("rest/book/v2/book.schema.json") == true)
        #expect(get("/subjects/rest.new-book-request/versions").body.elements.compactMap(\.int) == [1, 2])
    }

    @Test func versionsAreTheVersionFilesInOrder() throws {
        let answer = get("/subjects/bookshelf.book.added/versions")
        #expect(answer.status == 200)
        #expect(answer.body.elements.compactMap(\.int) == registry.versions(of: "bookshelf.book.added").map(\.version))
        let latest = get("/subjects/bookshelf.book.added/versions/latest").body
        let newest = try #require(registry.newestVersion(of: "bookshelf.book.added"))
        #expect(try JSONValue(parsing: latest["schema"]!.string!) == registry.schema(id: newest.id))
        let byID = get("/schemas/ids/\(latest["id"]!.int!)").body
        #expect(byID["schema"]?.string == latest["schema"]?.string)
    }

    @Test func idsAreStableAndDistinct() throws {
        let again = try SchemaRegistryAPI(registry: registry)
        let first = get("/subjects/bookshelf.book.added/versions/1").body["id"]?.int
        #expect(first != nil)
        #expect(again.respond(method: "GET", path: "/subjects/bookshelf.book.added/versions/1", query: [:], body: []).body["id"]?.int == first)
        #expect(get("/subjects/bookshelf.book.added/versions/2").body["id"]?.int != first)
    }

    @Test func theEnvelopeReferencesTheDataSchemas() {
        let references = Array(get("/subjects/bookshelf.events-value/versions/latest").body["references"]?.elements ?? JSONValue.array([]).elements)
        let named = Set(references.compactMap { $0["name"]?.string })
        for type in registry.eventTypes {
            for version in registry.versions(of: type) { #expect(named.contains(version.id), "\(version.id)") }
        }
        #expect(references.allSatisfy { $0["subject"]?.string != nil && $0["version"]?.int != nil })
    }

    @Test func lookUpFindsTheVersionOfASchema() throws {
        let v1 = try #require(registry.schema(id: registry.versions(of: "bookshelf.book.added")[0].id))
        #expect(post("/subjects/bookshelf.book.added", schema: v1).body["version"]?.int == 1)
        let missing = post("/subjects/bookshelf.book.added", schema: ["type": "string"])
        #expect(missing.status == 404)
        #expect(missing.body["error_code"]?.int == 40403)
        #expect(get("/subjects/nothing/versions").body["error_code"]?.int == 40401)
    }

    @Test func compatibilityIsOurChecker() throws {
        let newest = try #require(registry.schema(id: registry.newestVersion(of: "bookshelf.book.added")!.id))
        #expect(post("/compatibility/subjects/bookshelf.book.added/versions/latest", schema: newest).body["is_compatible"]?.bool == true)
        let required = JSONValue.array(newest["required"]!.elements + ["isbn"])
        let breaking = JSONValue.object(newest.members.filter { $0.key != "required" }.map { ($0.key, $0.value) } + [("required", required)])
        let answer = post("/compatibility/subjects/bookshelf.book.added/versions/latest", schema: breaking, query: ["verbose": "true"])
        #expect(answer.body["is_compatible"]?.bool == false)
        #expect(answer.body["messages"]?.elements.contains { $0.string?.contains("[property-made-required] witness") == true } == true)
    }

    @Test func configIsTheFoldersModeAndWritesAreRefused() {
        #expect(get("/config").body["compatibilityLevel"]?.string == "BACKWARD_TRANSITIVE")
        let write = post("/subjects/bookshelf.book.added/versions", schema: ["type": "string"])
        #expect(write.status == 422)
        #expect(write.body["error_code"]?.int == 42205)
        #expect(write.body["message"]?.string?.contains("source of truth") == true)
        #expect(api.respond(method: "DELETE", path: "/subjects/bookshelf.book.added", query: [:], body: []).status == 422)
    }
}
