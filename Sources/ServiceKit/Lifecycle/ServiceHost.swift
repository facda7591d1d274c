import Hummingbird
import Logging
import ServiceLifecycle

extension ServiceRoutes: HTTPResponderBuilder {}

/// Runs one service process: its long-lived clients and its HTTP server in one ServiceGroup that shuts
/// down gracefully on SIGTERM and SIGINT. Services start together and stop in reverse order, so the
/// server (last) stops taking requests before the clients it uses go away.
public enum ServiceHost {
    public static func application(
        configuration: ServiceConfiguration, routes: ServiceRoutes, logger: Logger
    ) -> some ApplicationProtocol {
        Application(
            router: routes,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: configuration.name),
            logger: logger
        )
    }

    /// Runs `dependencies` (started first, stopped last) and the HTTP server until SIGTERM or SIGINT.
    public static func run(
        configuration: ServiceConfiguration, routes: ServiceRoutes, dependencies: [any Service], logger: Logger
    ) async throws {
        try await run(configuration: configuration, routes: routes, services: dependencies.map { .init(service: $0) }, logger: logger)
    }

    /// The same with each dependency's termination behaviour spelled out.
    public static func run(
        configuration: ServiceConfiguration, routes: ServiceRoutes,
        services: [ServiceGroupConfiguration.ServiceConfiguration], logger: Logger
    ) async throws {
        let app = application(configuration: configuration, routes: routes, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: services + [.init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await group.run()
    }
}
