import BookshelfJSON
import BookshelfContracts
import Foundation
import Testing

/// `contracts diff` on a scratch git repository holding a copy of the contracts folder: one
/// commit as the base, then one change at a time in the working tree.
@Suite struct ContractsDiffTests {
    /// A git repository with the contracts committed; removed by `remove()`.
    struct Repository {
        let root: String
        var folder: String { root + "/contracts" }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("bookshelf-diff-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: ContractsFixture.folder, toPath: root + "/contracts")
            try git("init", "-q")
            try git("add", "contracts")
            try git("-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "base")
        }

        func git(_ arguments: String...) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git", "-C", root] + arguments
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "git \(arguments) failed")
        }

        func read(_ path: String) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/" + path))) as! [String: Any]
        }

        func write(_ path: String, _ object: [String: Any]) throws {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: folder + "/" + path))
        }

        func edit(_ path: String, _ change: (inout [String: Any]) -> Void) throws {
            var object = try read(path)
            change(&object)
            try write(path, object)
        }

        func diff() throws -> ContractsDiffReport {
            let base = try GitRevision(folder: folder, revision: "HEAD").snapshot()
            return ContractsDiff(base: base, head: try ContractsSnapshot(folder: folder)).report(baseName: "HEAD")
        }

        func remove() {
            try? FileManager.default.removeItem(atPath: root)
        }
    }

    /// The newest released version of book.added, and the one a test adds after it.
    static let addedNewest = "events/bookshelf.book.added/v3.schema.json"
    static let addedNext = "events/bookshelf.book.added/v4.schema.json"
    static let addedNextID = "https://bookshelf.example/contracts/" + addedNext

    /// The next version of book.added as the newest plus `change`, with its own `$id`.
    func addNextVersion(_ repository: Repository, _ change: (inout [String: Any]) -> Void) throws {
        var next = try repository.read(Self.addedNewest)
        next["$id"] = Self.addedNextID
        change(&next)
        try repository.write(Self.addedNext, next)
    }

    @Test func anUnchangedFolderHasNoFindings() throws {
        let repository = try Repository()
        defer { repository.remove() }
        let report = try repository.diff()
        #expect(report.findings.isEmpty, "\(report.findings)")
        #expect(!report.isBreaking)
    }

    @Test func anEditedReleasedVersionIsBreaking() throws {
        let repository = try Repository()
        defer { repository.remove() }
        try repository.edit("events/bookshelf.book.added/v1.schema.json") { $0["description"] = "reworded" }
        let report = try repository.diff()
        #expect(report.breaking.map(\.rule) == [.versionFileChanged])
        #expect(report.breaking.first?.pointer == "/description")
    }

    @Test func aCompatibleNewVersionIsANotice() throws {
        let repository = try Repository()
        defer { repository.remove() }
        try addNextVersion(repository) { next in
            var properties = next["properties"] as! [String: Any]
            properties["edition"] = ["type": "integer", "minimum": 1]
            next["properties"] = properties
        }
        let nextID = Self.addedNextID
        // Everything the contracts README asks of a new version: the envelope's dataschema enum and
        // allOf branch, an AsyncAPI message on the channel.
        try repository.edit("cloudevents/envelope.schema.json") { envelope in
            var properties = envelope["properties"] as! [String: Any]
            var dataschema = properties["dataschema"] as! [String: Any]
            dataschema["enum"] = (dataschema["enum"] as! [Any]) + [nextID]
            properties["dataschema"] = dataschema
            envelope["properties"] = properties
            var branches = envelope["allOf"] as! [[String: Any]]
            var branch = branches[1]
            branch["if"] = ["required": ["dataschema"], "properties": ["dataschema": ["const": nextID]]]
            var then = branch["then"] as! [String: Any]
            var thenProperties = then["properties"] as! [String: Any]
            thenProperties["data"] = ["$ref": nextID]
            then["properties"] = thenProperties
            branch["then"] = then
            branches.append(branch)
            envelope["allOf"] = branches
        }
        try repository.edit("asyncapi.json") { asyncapi in
            var channels = asyncapi["channels"] as! [String: Any]
            var events = channels["events"] as! [String: Any]
            var messages = events["messages"] as! [String: Any]
            messages["bookAddedV4"] = ["$ref": "#/components/messages/bookAddedV4"]
            events["messages"] = messages
            channels["events"] = events
            asyncapi["channels"] = channels
            var components = asyncapi["components"] as! [String: Any]
            var all = components["messages"] as! [String: Any]
            all["bookAddedV4"] = all["bookAddedV3"]
            components["messages"] = all
            asyncapi["components"] = components
        }
        let report = try repository.diff()
        #expect(!report.isBreaking, "\(report.breaking)")
        #expect(report.findings.map(\.rule) == [.added, .versionAdded])
        #expect(report.findings.contains { $0.message.contains("BACKWARD_TRANSITIVE compatible with 3 earlier") })
    }

    @Test func anIncompatibleNewVersionIsBreakingWithAWitness() throws {
        let repository = try Repository()
        defer { repository.remove() }
        try addNextVersion(repository) { next in next["required"] = ["id", "title", "author", "published", "isbn"] }
        let report = try repository.diff()
        // Incompatible with v1, v2 and v3 (transitive).
        #expect(report.breaking.map(\.rule) == [.versionIncompatible, .versionIncompatible, .versionIncompatible])
        #expect(report.breaking.allSatisfy { $0.message.contains("property \"isbn\" made required") || $0.message.contains("required property \"isbn\" added") })
        #expect(report.breaking.allSatisfy { $0.message.contains("witness {") })
    }

    @Test func aRemovedOperationIsBreaking() throws {
        let repository = try Repository()
        defer { repository.remove() }
        try repository.edit("openapi.json") { openapi in
            var paths = openapi["paths"] as! [String: Any]
            var books = paths["/bookshelf/books"] as! [String: Any]
            books["get"] = nil
            paths["/bookshelf/books"] = books
            openapi["paths"] = paths
        }
        let report = try repository.diff()
        #expect(report.breaking.map(\.rule) == [.operationRemoved])
        #expect(report.breaking.first?.message == "operation GET /bookshelf/books removed")
        let github = report.rendered(.github, folder: "contracts")
        #expect(github.hasPrefix("::error file=contracts/openapi.json,line="))
        #expect(github.contains(",title=contracts%3A operation-removed::operation GET /bookshelf/books removed\n"))
    }

    @Test func aRemovedResponseFieldIsBreaking() throws {
        let repository = try Repository()
        defer { repository.remove() }
        try repository.edit("rest/book/v2/book.schema.json") { book in
            var properties = book["properties"] as! [String: Any]
            properties["tags"] = nil
            book["properties"] = properties
        }
        let report = try repository.diff()
        let removed = report.breaking.filter { $0.rule == .responseFieldRemoved }
        #expect(!removed.isEmpty)
        #expect(removed.contains { $0.message.contains("GET /bookshelf/books 200 application/json: field /[]/tags removed") })
        #expect(report.breaking.allSatisfy { $0.rule == .responseFieldRemoved })
    }

    @Test func aNewlyRequiredRequestFieldIsBreaking() throws {
        let repository = try Repository()
        defer { repository.remove() }
        try repository.edit("rest/new-book-request/v2/new-book-request.schema.json") { request in
            request["required"] = ["title", "author", "published", "isbn"]
        }
        let report = try repository.diff()
        #expect(report.breaking.map(\.rule) == [.requestFieldRequired])
        #expect(report.breaking.first?.message.contains("field /isbn is now required") == true)
    }

    /// A request schema that only now says what array items are (as the finish body's did when it learnt
    /// that no member name may hold NUL): an array's items are never a field a client must now send.
    @Test func describingArrayItemsRequiresNothing() throws {
        let repository = try Repository()
        defer { repository.remove() }
        try repository.edit("rest/new-book-request/v2/new-book-request.schema.json") { request in
            request["items"] = ["type": "string"]
        }
        let report = try repository.diff()
        #expect(report.breaking.isEmpty, "\(report.breaking)")
    }

    @Test func asyncAPIRemovalsAndAChangedKeyAreBreaking() throws {
        let repository = try Repository()
        defer { repository.remove() }
        try repository.edit("asyncapi.json") { asyncapi in
            var channels = asyncapi["channels"] as! [String: Any]
            var events = channels["events"] as! [String: Any]
            var messages = events["messages"] as! [String: Any]
            messages["bookFinishedV1"] = nil
            events["messages"] = messages
            channels["events"] = events
            asyncapi["channels"] = channels
            var components = asyncapi["components"] as! [String: Any]
            var all = components["messages"] as! [String: Any]
            var v2 = all["bookAddedV2"] as! [String: Any]
            v2["headers"] = ["type": "object"]
            v2["bindings"] = ["kafka": ["key": ["type": "string"], "bindingVersion": "0.5.0"]]
            all["bookAddedV2"] = v2
            components["messages"] = all
            asyncapi["components"] = components
        }
        let rules = try repository.diff().breaking.map(\.rule)
        #expect(Set(rules) == [.asyncapiMessageRemoved, .asyncapiHeaderRemoved, .asyncapiKeyChanged])
    }

    @Test func anUnknownRevisionCannotBeRead() throws {
        let repository = try Repository()
        defer { repository.remove() }
        #expect(throws: ContractError.self) {
            _ = try GitRevision(folder: repository.folder, revision: "no-such-revision").snapshot()
        }
    }

    @Test func everyFormatNamesTheBreakingChange() throws {
        let repository = try Repository()
        defer { repository.remove() }
        try repository.edit("events/bookshelf.book.finished/v1.schema.json") { $0["title"] = "edited" }
        let report = try repository.diff()
        for format in ContractsDiffReport.Format.allCases {
            #expect(report.rendered(format, folder: "contracts").contains("version-file-changed"), "\(format)")
        }
        let json = try JSONValue(parsing: report.rendered(.json, folder: "contracts"))
        #expect(json["breaking"]?.bool == true)
        #expect(json["findings"]?[0]?["file"]?.string == "contracts/events/bookshelf.book.finished/v1.schema.json")
        #expect(report.rendered(.junit, folder: "contracts").contains("failures=\"1\""))
    }
}
