import ArgumentParser
import Gateway
import Logging

/// `bookshelf gateway-floor`: a server that answers every request with a fixed body, for
/// `scripts/bench-gateway.py --floors` (see `GatewayFloor`).
struct GatewayFloorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway-floor",
        abstract: "Answer every request with a fixed JSON body: the gateway's HTTP server without forwarding, for benchmarks.",
        shouldDisplay: false
    )

    @Option(help: "router (Hummingbird's defaults, one route) or front (the gateway's server, its handler answering at once).")
    var server: String = GatewayFloor.Server.front.rawValue

    @Option(help: "Port to listen on, on 127.0.0.1.")
    var port: Int

    @Option(help: "Size of the body in bytes.")
    var bytes: Int = 5242

    func validate() throws {
        guard GatewayFloor.Server(rawValue: server) != nil else {
            throw ValidationError("--server must be one of: \(GatewayFloor.Server.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        var logger = Logger(label: "bookshelf.gateway-floor")
        logger.logLevel = .warning
        try await GatewayFloor.run(GatewayFloor.Server(rawValue: server)!, host: "127.0.0.1", port: port, bodyBytes: bytes, logger: logger)
    }
}
