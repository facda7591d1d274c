import Discovery
import HTTPClient
import Logging
import ServiceKit
import ServiceLifecycle

/// Everything a gateway process runs, put together from its configuration: the routes, the long-lived
/// services (Consul discovery and registration) and the HTTP client to close at the end.
public struct GatewayAssembly: Sendable {
    public let routes: ServiceRoutes.Sendable
    public let dependencies: [any Service]
    public let client: HTTPClient

    /// The services the gateway routes to; Consul discovery watches exactly these.
    public static var upstreamNames: [String] { Array(Set(RouteTable.upstreamServices.values)).sorted() }

    public init(
        configuration: ServiceConfiguration,
        upstreamFlags: [String],
        apiToken: String?,
        upstreamTimeout: Duration,
        environment: [String: String],
        logger: Logger
    ) throws {
        let contracts = try GatewayContracts(directory: configuration.contracts)
        let validator = try ContractSchemas(directory: configuration.contracts, routes: contracts.routes)
        let client = HTTPClient(configuration: .init(connectTimeout: .seconds(1), timeout: upstreamTimeout), logger: logger)
        let readiness = Readiness()
        var dependencies: [any Service] = []
        let discovery: any ServiceDiscovery
        if let consulURL = configuration.consul {
            let agent = try ConsulAgent(url: consulURL, client: client)
            let consulDiscovery = ConsulDiscovery(agent: agent, services: Self.upstreamNames, logger: logger)
            discovery = consulDiscovery
            readiness.register("discovery", waitingFor: "a first answer from Consul for every upstream")
            dependencies.append(consulDiscovery)
            dependencies.append(DiscoveryReadiness(discovery: consulDiscovery, readiness: readiness))
            dependencies.append(ConsulRegistration(
                agent: agent,
                registration: .init(
                    id: configuration.id, name: configuration.name, tags: configuration.tags,
                    address: configuration.advertiseAddress, port: configuration.port
                ),
                logger: logger,
                whenReady: { try await readiness.waitUntilReady() }
            ))
        } else {
            let staticDiscovery = try StaticDiscovery(flags: upstreamFlags, environment: environment)
            let missing = Self.upstreamNames.filter { staticDiscovery.instances(of: $0).isEmpty }
            if !missing.isEmpty {
                logger.warning("no upstream configured for some services; their routes answer 503", metadata: [
                    "missing": .string(missing.joined(separator: ",")),
                    "hint": "pass --upstream NAME=URL, set BOOKSHELF_UPSTREAMS, or use --consul",
                ])
            }
            discovery = staticDiscovery
        }
        let gateway = GatewayService(
            contracts: contracts, validator: validator,
            forwarder: UpstreamForwarder(client: client, discovery: discovery), apiToken: apiToken
        )
        let routes = ServiceRoutes(metrics: ServiceMetrics(), readiness: readiness)
        gateway.addRoutes(to: routes)
        self.routes = ServiceRoutes.Sendable(routes)
        self.dependencies = dependencies
        self.client = client
    }
}

extension ServiceRoutes {
    /// ServiceRoutes is built once and then only read by the server; this box lets the assembly cross into
    /// the async command that runs it.
    public struct Sendable: @unchecked Swift.Sendable {
        public let routes: ServiceRoutes
        init(_ routes: ServiceRoutes) { self.routes = routes }
    }
}

/// Marks the gateway ready once Consul has answered for every upstream, so Consul's own check on
/// /health/ready does not route clients to a gateway that knows no services yet.
struct DiscoveryReadiness: Service {
    let discovery: ConsulDiscovery
    let readiness: Readiness

    func run() async throws {
        while !discovery.hasAnsweredAll {
            try await Task.sleep(for: .milliseconds(50))
        }
        readiness.set("discovery", met: true, detail: "Consul answered for every upstream")
        try? await gracefulShutdown()
    }
}
