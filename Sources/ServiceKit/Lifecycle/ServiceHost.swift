import Hummingbird
import Logging

extension ServiceRoutes: HTTPResponderBuilder {}

/// The Hummingbird application of a service, bound where its configuration says.
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
}
