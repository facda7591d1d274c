@testable import bookshelf_bench
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@Suite struct GatewayFloorTests {
    @Test(arguments: GatewayFloor.Server.allCases)
    func everyRequestGetsTheFixedBodyOfTheAskedSize(server: GatewayFloor.Server) async throws {
        let app = GatewayFloor.application(
            server, configuration: .init(address: .hostname("127.0.0.1", port: 0)), bodyBytes: 300, logger: Logger(label: "floor-test")
        )
        try await app.test(.live) { client in
            for path in ["/bookshelf/books", "/bookshelf/books/last/read"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/json")
                    #expect(response.body.readableBytes == 300)
                    #expect(response.body.getString(at: response.body.readerIndex, length: 1) == "[")
                }
            }
        }
    }
}
