import BookshelfDiscovery
import Foundation
import BookshelfHTTPClient
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import BookshelfServiceKit
import Testing

@testable import Gateway

/// The API docs page works without the internet: Swagger UI's files come from the gateway.
@Suite struct SwaggerUIAssetsTests {
    /// A swagger-ui-dist folder with the two files the page needs (non-ASCII, as the real bundle is) and one it does not.
    static func distribution() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swagger-ui-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data("window.SwaggerUIBundle = function () { return \"→ 5.x\" };\n".utf8).write(to: directory.appendingPathComponent("swagger-ui-bundle.js"))
        try Data(".swagger-ui { color: black }\n".utf8).write(to: directory.appendingPathComponent("swagger-ui.css"))
        try Data("{}".utf8).write(to: directory.appendingPathComponent("swagger-ui-bundle.js.map"))
        return directory.path
    }

    static func app(_ assets: SwaggerUIAssets, client: HTTPClient) -> some ApplicationProtocol {
        let gateway = GatewayService(
            contracts: sharedContracts, validator: sharedSchemas,
            forwarder: UpstreamForwarder(client: client, discovery: StaticDiscovery(upstreams: [:])), apiToken: nil, swaggerUI: assets
        )
        let routes = ServiceRoutes(metrics: ServiceMetrics(namespace: "bookshelf"), readiness: Readiness(), problemNamespace: "urn:bookshelf:problem:")
        gateway.addRoutes(to: routes)
        var logger = Logger(label: "swagger-test")
        logger.logLevel = .critical
        return Application(router: routes, logger: logger)
    }

    @Test func thePageRefersToTheGatewaysOwnFilesAndTheyAreServedWithTheirCharset() async throws {
        let directory = try Self.distribution()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let assets = SwaggerUIAssets.locate(flag: directory, settings: Settings(prefix: "BOOKSHELF_", environment: [:]))
        #expect(assets.directory == directory)
        let client = HTTPClient()
        try await Self.app(assets, client: client).test(.live) { gateway in
            try await gateway.execute(uri: "/apidocs/index.html", method: .get) { response in
                #expect(response.status == .ok)
                let page = String(buffer: response.body)
                #expect(page.contains(#"<script src="/apidocs/swagger-ui/swagger-ui-bundle.js">"#))
                #expect(page.contains(#"<link rel="stylesheet" href="/apidocs/swagger-ui/swagger-ui.css">"#))
                #expect(page.contains("\"/apidocs/openapi.json\""))
                #expect(!page.contains("http://") && !page.contains("https://") && !page.contains("//cdn"), "no URL outside the gateway")
            }
            var tag = ""
            try await gateway.execute(uri: "/apidocs/swagger-ui/swagger-ui-bundle.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(response.headers[.cacheControl] == "no-cache")
                #expect(String(buffer: response.body).contains("→ 5.x"))
                tag = response.headers[.eTag] ?? ""
            }
            #expect(!tag.isEmpty)
            try await gateway.execute(uri: "/apidocs/swagger-ui/swagger-ui-bundle.js", method: .get, headers: [.ifNoneMatch: "\"other\", \(tag)"]) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
                #expect(response.headers[.eTag] == tag)
            }
            try await gateway.execute(uri: "/apidocs/swagger-ui/swagger-ui.css", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/css; charset=utf-8")
                #expect(String(buffer: response.body) == ".swagger-ui { color: black }\n")
            }
        }
        await client.shutdown()
    }

    /// Only the files the page needs are served; no request path reaches the file system.
    @Test(arguments: [
        "/apidocs/swagger-ui/swagger-ui-bundle.js.map",
        "/apidocs/swagger-ui/",
        "/apidocs/swagger-ui/../openapi.json",
        "/apidocs/swagger-ui/%2E%2E/%2E%2E/etc/passwd",
        "/apidocs/swagger-ui/..%2F..%2Fetc%2Fpasswd",
        "/apidocs/swagger-ui/swagger-ui.css/../../../etc/passwd",
        "/apidocs/swagger-ui/%2Fetc%2Fpasswd",
    ])
    func nothingElseOfTheFolderOrTheDiskIsServed(uri: String) async throws {
        let directory = try Self.distribution()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let client = HTTPClient()
        try await Self.app(SwaggerUIAssets.locate(flag: directory, settings: Settings(prefix: "BOOKSHELF_", environment: [:])), client: client).test(.live) { gateway in
            try await gateway.execute(uri: uri, method: .get) { response in
                #expect(response.status == .notFound, "\(uri)")
                #expect(!String(buffer: response.body).contains("root:"))
                #expect(!String(buffer: response.body).contains("{}"))
            }
        }
        await client.shutdown()
    }

    @Test func withoutTheFilesThePageSaysSoAndWhatToDo() async throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("no-swagger-\(UUID().uuidString)").path
        let assets = SwaggerUIAssets.locate(flag: nil, settings: Settings(prefix: "BOOKSHELF_", environment: ["BOOKSHELF_SWAGGER_UI_DIR": empty]))
        #expect(!assets.isAvailable)
        #expect(assets.searched == [empty])
        let client = HTTPClient()
        try await Self.app(assets, client: client).test(.live) { gateway in
            try await gateway.execute(uri: "/apidocs/index.html", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let page = String(buffer: response.body)
                #expect(page.contains("Swagger UI is not installed"))
                #expect(page.contains("make setup"))
                #expect(page.contains(empty))
                #expect(page.contains("BOOKSHELF_SWAGGER_UI_DIR"))
                #expect(!page.contains("<script"))
            }
            try await gateway.execute(uri: "/apidocs/swagger-ui/swagger-ui-bundle.js", method: .get) { response in
                #expect(response.status == .notFound)
            }
            try await gateway.execute(uri: "/apidocs/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
        await client.shutdown()
    }

    /// The flag wins over the variable, the variable over the search; the search finds what `make setup`
    /// installs in a .venv of the working directory or a parent.
    @Test func theSettingIsTheFlagThenTheVariableThenAVirtualEnvironmentUpwards() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("clone-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let dist = root.appendingPathComponent(".venv/lib/python3.11/site-packages/" + SwaggerUIAssets.sidecarFolder)
        try FileManager.default.createDirectory(at: dist, withIntermediateDirectories: true)
        let source = try Self.distribution()
        defer { try? FileManager.default.removeItem(atPath: source) }
        for name in ["swagger-ui-bundle.js", "swagger-ui.css"] {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: dist.path + "/" + name)
        }
        let inside = root.appendingPathComponent("Sources/Gateway")
        try FileManager.default.createDirectory(at: inside, withIntermediateDirectories: true)

        let searched = SwaggerUIAssets.locate(flag: nil, settings: Settings(prefix: "BOOKSHELF_", environment: [:]), workingDirectory: inside.path)
        #expect(searched.directory.map { URL(fileURLWithPath: $0).standardizedFileURL.path } == dist.standardizedFileURL.path)
        #expect(searched.files.map(\.name) == ["swagger-ui-bundle.js", "swagger-ui.css"])

        let variable = SwaggerUIAssets.locate(flag: nil, settings: Settings(prefix: "BOOKSHELF_", environment: ["BOOKSHELF_SWAGGER_UI_DIR": source]), workingDirectory: inside.path)
        #expect(variable.directory == source)
        let flag = SwaggerUIAssets.locate(flag: "/nonexistent", settings: Settings(prefix: "BOOKSHELF_", environment: ["BOOKSHELF_SWAGGER_UI_DIR": source]), workingDirectory: inside.path)
        #expect(flag.directory == nil)
        #expect(flag.searched == ["/nonexistent"])
        // Another app's gateway reads its own variable, not Bookshelf's.
        let reviews = SwaggerUIAssets.locate(
            flag: nil, settings: Settings(prefix: "REVIEWS_", environment: ["REVIEWS_SWAGGER_UI_DIR": source]), workingDirectory: inside.path)
        #expect(reviews.directory == source)
        let other = SwaggerUIAssets.locate(
            flag: nil, settings: Settings(prefix: "REVIEWS_", environment: ["BOOKSHELF_SWAGGER_UI_DIR": "/nonexistent"]), workingDirectory: inside.path)
        #expect(other.directory.map { URL(fileURLWithPath: $0).standardizedFileURL.path } == dist.standardizedFileURL.path)
        #expect(other.missingAdvice.contains("REVIEWS_SWAGGER_UI_DIR"))

        // A folder missing one needed file is not used.
        try FileManager.default.removeItem(atPath: dist.path + "/swagger-ui.css")
        let incomplete = SwaggerUIAssets.locate(flag: nil, settings: Settings(prefix: "BOOKSHELF_", environment: [:]), workingDirectory: inside.path)
        #expect(incomplete.directory != dist.path)
        #expect(incomplete.searched.contains { $0.hasSuffix(SwaggerUIAssets.sidecarFolder) })
        #expect(incomplete.searched.last == SwaggerUIAssets.imageDirectory)
    }
}
