import Logging
import ServiceLifecycle

/// Keeps one instance registered in Consul for as long as it runs: registers once the service is ready,
/// deregisters at shutdown. A ServiceLifecycle service whose `run()` returns only at shutdown.
public struct ConsulRegistration: Service {
    let agent: ConsulAgent
    let registration: ConsulAgent.Registration
    let whenReady: @Sendable () async throws -> Void
    let retryDelay: Duration
    let logger: Logger

    /// - Parameter agent: the Consul agent to register with.
    /// - Parameter registration: the instance, and the HTTP check Consul runs against it.
    /// - Parameter retryDelay: the wait between attempts while registering fails (Consul may start after us).
    /// - Parameter logger: where registering and deregistering are logged.
    /// - Parameter whenReady: returns once the instance can take traffic; registering earlier would make
    ///   Consul's first checks fail and the instance flap.
    public init(
        agent: ConsulAgent,
        registration: ConsulAgent.Registration,
        retryDelay: Duration = .seconds(2),
        logger: Logger,
        whenReady: @escaping @Sendable () async throws -> Void
    ) {
        self.agent = agent
        self.registration = registration
        self.whenReady = whenReady
        self.retryDelay = retryDelay
        self.logger = logger
    }

    private enum Outcome { case registered, perhapsRegistered, notRegistered }

    public func run() async throws {
        let outcome = await cancelWhenGracefulShutdown { () async -> Outcome in
            do {
                try await whenReady()
            } catch {
                return .notRegistered
            }
            while !Task.isCancelled {
                do {
                    try await agent.register(registration)
                    logger.info("registered with Consul", metadata: ["id": "\(registration.id)", "consul": "\(agent.baseURL)"])
                    return .registered
                } catch {
                    // Shutdown cancelled the request, which Consul may have carried out before its answer came back:
                    // deregister anyway, or the instance stays listed until its check has been critical for long.
                    if Task.isCancelled { return .perhapsRegistered }
                    // Consul may start after us; keep trying rather than running unregistered for good.
                    logger.warning("Consul registration failed; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: retryDelay)
                }
            }
            return .notRegistered
        }
        guard outcome != .notRegistered else { return }
        try? await gracefulShutdown()
        // A task of its own: when the group cancels us instead of shutting down gracefully, the request must still go out.
        await Task { [agent, logger, id = registration.id] in
            do {
                try await agent.deregister(id: id)
                logger.info("deregistered from Consul", metadata: ["id": "\(id)"])
            } catch {
                logger.warning("Consul deregistration failed; Consul drops the instance once its check stays critical", metadata: ["error": "\(error)"])
            }
        }.value
    }
}
