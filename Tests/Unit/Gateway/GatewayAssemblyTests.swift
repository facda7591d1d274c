import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import BookshelfServiceKit
import Testing

@testable import Gateway

/// What `/health/ready` says of the routes: the gateway stays ready while a route has no instance (that
/// route answers 503 by itself), and the body names every such route.
@Suite struct GatewayAssemblyTests {
    static func assembly(upstreams: [String]) throws -> GatewayAssembly {
        var logger = Logger(label: "assembly-test")
        logger.logLevel = .critical
        let configuration = ServiceConfiguration(
            name: "gateway", id: "gateway-test", tags: [], host: "127.0.0.1", port: 0, advertiseAddress: "127.0.0.1",
            broker: "127.0.0.1:9", consul: nil, contracts: contractsDirectory, logFormat: .text, logLevel: .critical
        )
        return try GatewayAssembly(
            configuration: configuration, upstreamFlags: upstreams, apiToken: nil, upstreamTimeout: .seconds(1),
            swaggerUI: .notInstalled, settings: Settings(prefix: "BOOKSHELF_", environment: [:]), logger: logger
        )
    }

    /// Asks `/health/ready` and hands its status and JSON body to `check`.
    static func ready(_ assembly: GatewayAssembly, check: @escaping @Sendable (HTTPResponse.Status, [String: Any]) throws -> Void) async throws {
        var logger = Logger(label: "assembly-test")
        logger.logLevel = .critical
        let app = Application(router: assembly.routes.routes, logger: logger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { response in
                try check(response.status, (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:])
            }
        }
        await assembly.client.shutdown()
    }

    @Test func readyNamesTheRoutesThatHaveNoInstance() async throws {
        let assembly = try Self.assembly(upstreams: ["booklist=http://127.0.0.1:9", "newbook=http://127.0.0.1:9"])
        try await Self.ready(assembly) { status, body in
            #expect(status == .ok)
            #expect(body["status"] as? String == "ready")
            #expect(body["routes_without_instances"] as? [String] == [
                "GET /bookshelf/books/last/read (lastreadbooks)",
                "POST /bookshelf/books/{id}/finished (readbook)",
            ])
        }
    }

    @Test func everyRouteWithAnInstanceLeavesTheListOut() async throws {
        let assembly = try Self.assembly(upstreams: RouteTable.upstreamServices.values.map { "\($0)=http://127.0.0.1:9" })
        try await Self.ready(assembly) { status, body in
            #expect(status == .ok)
            #expect(body["status"] as? String == "ready")
            #expect(body["routes_without_instances"] == nil)
        }
    }

    @Test func noInstanceAtAllListsEveryRoute() async throws {
        let assembly = try Self.assembly(upstreams: [])
        try await Self.ready(assembly) { status, body in
            #expect(status == .ok)
            let routes = try #require(body["routes_without_instances"] as? [String])
            #expect(routes.count == sharedContracts.routes.operations.count)
            #expect(Set(routes.map { $0.split(separator: "(").last.map { String($0.dropLast()) } ?? "" }) == Set(RouteTable.upstreamServices.values))
        }
    }
}
