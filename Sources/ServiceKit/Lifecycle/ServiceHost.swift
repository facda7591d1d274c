import Hummingbird
import Logging
import ServiceLifecycle

extension ServiceRoutes: HTTPResponderBuilder {}

/// Runs one service process: its long-lived clients and its HTTP server in one ServiceGroup that shuts
/// down gracefully on SIGTERM and SIGINT. `dependencies` start first and stop last, so the server stops
/// taking requests before the producer and consumers it uses go away.
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

    public static func run(
        configuration: ServiceConfiguration, routes: ServiceRoutes, dependencies: [any Service], logger: Logger
    ) async throws {
        let app = application(configuration: configuration, routes: routes, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: dependencies.map { .init(service: $0) } + [.init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await group.run()
    }
}
