import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

extension ServiceRoutes: HTTPResponderBuilder {}

/// Runs one service process: its long-lived clients and its HTTP server in one ServiceGroup that shuts
/// down gracefully on SIGTERM and SIGINT. Services start together and stop in reverse order, so the
/// server (last) stops taking requests before the clients it uses go away.
package enum ServiceHost {
    /// - Parameter configuration: where to listen, and the connections' idle timeout.
    /// - Parameter routes: the service's router, with the shared endpoints.
    /// - Parameter logger: the application's logger.
    /// - Parameter handlersOnEventLoop: handle each connection's requests on its event loop instead of the
    ///   global pool (see `ServiceHTTP1Channel`); for services whose handlers never block.
    /// - Parameter frontHandlers: channel handlers that may answer requests before Hummingbird does (see `FrontHandlers`).
    package static func application(
        configuration: ServiceConfiguration, routes: ServiceRoutes, logger: Logger, handlersOnEventLoop: Bool = false,
        frontHandlers: FrontHandlers? = nil
    ) -> some ApplicationProtocol {
        let namespace = routes.problemNamespace
        let channel = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ParserErrorProblemHandler(namespace: namespace)], idleTimeout: TimeAmount(configuration.idleTimeout))
        return Application(
            router: routes,
            server: .serviceHTTP1(configuration: channel, handlersOnEventLoop: handlersOnEventLoop, frontHandlers: frontHandlers),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: configuration.name),
            logger: logger
        )
    }

    /// Runs `dependencies` (started first, stopped last) and the HTTP server until SIGTERM or SIGINT.
    package static func run(
        configuration: ServiceConfiguration, routes: ServiceRoutes, dependencies: [any Service], logger: Logger,
        handlersOnEventLoop: Bool = false, frontHandlers: FrontHandlers? = nil
    ) async throws {
        try await run(
            configuration: configuration, routes: routes, services: dependencies.map { .init(service: $0) }, logger: logger,
            handlersOnEventLoop: handlersOnEventLoop, frontHandlers: frontHandlers
        )
    }

    /// The same with each dependency's termination behaviour spelled out.
    package static func run(
        configuration: ServiceConfiguration, routes: ServiceRoutes,
        services: [ServiceGroupConfiguration.ServiceConfiguration], logger: Logger, handlersOnEventLoop: Bool = false,
        frontHandlers: FrontHandlers? = nil
    ) async throws {
        let app = application(
            configuration: configuration, routes: routes, logger: logger, handlersOnEventLoop: handlersOnEventLoop, frontHandlers: frontHandlers
        )
        let group = ServiceGroup(configuration: .init(
            services: services + [.init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await group.run()
    }
}
