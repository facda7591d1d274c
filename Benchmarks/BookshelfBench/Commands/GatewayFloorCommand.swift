import ArgumentParser
import Logging

/// `bookshelf-bench gateway-floor`: a server that answers every request with a fixed body, for
/// `scripts/bench-gateway.py --floors` (see `GatewayFloor`).
struct GatewayFloorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway-floor",
        abstract: "Answer every request with a fixed JSON body: the gateway's HTTP server without forwarding, for benchmarks."
    )

    @Option(help: "router (Hummingbird's defaults, one route) or front (the gateway's server, its handler answering at once).")
    var server: GatewayFloor.Server = .front

    @Option(help: "Port to listen on, on 127.0.0.1.")
    var port: Int

    @Option(help: "Size of the body in bytes.")
    var bytes: Int = 5242

    func run() async throws {
        var logger = Logger(label: "bookshelf.gateway-floor")
        logger.logLevel = .warning
        try await GatewayFloor.run(server, host: "127.0.0.1", port: port, bodyBytes: bytes, logger: logger)
    }
}

extension GatewayFloor.Server: ExpressibleByArgument {}
