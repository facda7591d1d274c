import BookshelfDiscovery
import BookshelfHTTPClient
import Logging
import BookshelfServiceKit
import ServiceLifecycle

/// Everything a gateway process runs, put together from its configuration: the routes, the long-lived
/// services (Consul discovery and registration), the forwarding handlers for the server's pipeline, and the
/// HTTP client to close at the end.
package struct GatewayAssembly: Sendable {
    package let routes: ServiceRoutes.Sendable
    /// Pass to `ServiceHost.run(frontHandlers:)`: the API's operations are answered there.
    package let frontHandlers: FrontHandlers
    package let dependencies: [any Service]
    package let client: HTTPClient

    /// The services the gateway routes to; Consul discovery watches exactly these.
    static var upstreamNames: [String] { Array(Set(RouteTable.upstreamServices.values)).sorted() }

    package init(
        configuration: ServiceConfiguration,
        upstreamFlags: [String],
        apiToken: String?,
        upstreamTimeout: Duration,
        swaggerUI: SwaggerUIAssets,
        settings: Settings,
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
            let variable = settings.variable("UPSTREAMS")
            let staticDiscovery = try StaticDiscovery(flags: upstreamFlags, environmentVariable: variable, environment: settings.environment)
            let missing = Self.upstreamNames.filter { staticDiscovery.instances(of: $0).isEmpty }
            if !missing.isEmpty {
                logger.warning("no upstream configured for some services; their routes answer 503", metadata: [
                    "missing": .string(missing.joined(separator: ",")),
                    "hint": "pass --upstream NAME=URL, set \(variable), or use --consul",
                ])
            }
            discovery = staticDiscovery
        }
        // Ready means the gateway can take traffic: a route without an instance answers 503 by itself, and an
        // unready gateway would take every other route out of service too. The body names such routes.
        readiness.addNotice(GatewayService.routesWithoutInstancesNotice) { [routes = contracts.routes] in
            GatewayService.routesWithoutInstances(routes, discovery: discovery)
        }
        if let directory = swaggerUI.directory {
            logger.info("serving Swagger UI at /apidocs/index.html", metadata: ["swagger_ui_dir": .string(directory)])
        } else {
            logger.warning("/apidocs/index.html cannot render the API", metadata: ["hint": .string(swaggerUI.missingAdvice)])
        }
        let gateway = GatewayService(
            contracts: contracts, validator: validator,
            forwarder: UpstreamForwarder(client: client, discovery: discovery), apiToken: apiToken, swaggerUI: swaggerUI
        )
        let metrics = ServiceMetrics(namespace: GatewayService.defaults.metricsNamespace)
        let routes = ServiceRoutes(metrics: metrics, readiness: readiness, problemNamespace: GatewayService.defaults.problemNamespace)
        gateway.addRoutes(to: routes)
        self.frontHandlers = gateway.frontHandlers(metrics: metrics, serverName: configuration.name, logger: logger)
        self.routes = ServiceRoutes.Sendable(routes)
        self.dependencies = dependencies
        self.client = client
    }
}

extension ServiceRoutes {
    /// ServiceRoutes is built once and then only read by the server; this box lets the assembly cross into
    /// the async command that runs it.
    package struct Sendable: @unchecked Swift.Sendable {
        package let routes: ServiceRoutes
        init(_ routes: ServiceRoutes) { self.routes = routes }
    }
}

/// Marks the gateway ready once Consul has answered for every upstream, so Consul's own check on
/// /health/ready does not route clients to a gateway that knows no services yet.
struct DiscoveryReadiness: Service {
    let discovery: ConsulDiscovery
    let readiness: Readiness

    func run() async throws {
        // A shutdown that comes before Consul ever answered must end the wait, not be held up by it.
        let answered = await cancelWhenGracefulShutdown { [discovery] in
            while !discovery.hasAnsweredAll {
                guard (try? await Task.sleep(for: .milliseconds(50))) != nil else { return false }
            }
            return true
        }
        guard answered else { return }
        readiness.set("discovery", met: true, detail: "Consul answered for every upstream")
        try? await gracefulShutdown()
    }
}
