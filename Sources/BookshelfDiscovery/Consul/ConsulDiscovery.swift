import Logging
import ServiceLifecycle
import Synchronization

/// A live list of the healthy instances of a few services, kept current with Consul's blocking queries.
///
/// One watch per service long-polls `/v1/health/service/NAME?passing=true`. When Consul cannot be reached the
/// last known list stays in use (instances rarely all move at once, and routing to a likely-good list beats
/// refusing every request); the watch retries with backoff.
public final class ConsulDiscovery: ServiceDiscovery, Service {
    public struct Configuration: Sendable {
        /// How long Consul may hold one blocking query.
        public var wait: Duration
        /// Minimum time between two queries of one service, so a fast-changing answer cannot make a hot loop.
        public var minimumInterval: Duration
        /// First delay after a failed query; doubles up to `maximumBackoff`.
        public var initialBackoff: Duration
        public var maximumBackoff: Duration

        public init(
            wait: Duration = .seconds(30), minimumInterval: Duration = .milliseconds(50),
            initialBackoff: Duration = .milliseconds(200), maximumBackoff: Duration = .seconds(5)
        ) {
            self.wait = wait
            self.minimumInterval = minimumInterval
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
        }
    }

    private struct Watched: Sendable {
        var instances: [ServiceInstance] = []
        var index: UInt64 = 0
        var lastError: DiscoveryError?
        var answered = false
    }

    private let agent: ConsulAgent
    private let services: [String]
    private let configuration: Configuration
    private let logger: Logger
    private let state: Mutex<[String: Watched]>

    public init(agent: ConsulAgent, services: [String], configuration: Configuration = Configuration(), logger: Logger) {
        self.agent = agent
        self.services = services
        self.configuration = configuration
        self.logger = logger
        self.state = Mutex(Dictionary(uniqueKeysWithValues: services.map { ($0, Watched()) }))
    }

    public func instances(of service: String) -> [ServiceInstance] {
        state.withLock { $0[service]?.instances ?? [] }
    }

    /// Whether every watched service has had at least one answer from Consul.
    public var hasAnsweredAll: Bool {
        state.withLock { $0.values.allSatisfy(\.answered) }
    }

    /// The index the next blocking query of `service` will send; exposed for diagnostics and tests.
    public func index(of service: String) -> UInt64 {
        state.withLock { $0[service]?.index ?? 0 }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            await withTaskGroup(of: Void.self) { group in
                for service in services {
                    group.addTask { await self.watch(service) }
                }
            }
        }
    }

    private func watch(_ service: String) async {
        var backoff = configuration.initialBackoff
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let started = clock.now
            let index = state.withLock { $0[service]?.index ?? 0 }
            do {
                let answer = try await agent.healthyInstances(of: service, index: index, wait: configuration.wait)
                let next = Self.nextIndex(previous: index, answered: answer.index)
                state.withLock { state in
                    state[service] = Watched(instances: answer.instances, index: next, lastError: nil, answered: true)
                }
                backoff = configuration.initialBackoff
                try? await Task.sleep(until: started + configuration.minimumInterval, clock: clock)
            } catch {
                if Task.isCancelled { return }
                let known = state.withLock { state -> Int in
                    state[service]?.lastError = error
                    return state[service]?.instances.count ?? 0
                }
                logger.warning("Consul lookup failed; keeping the last known instances", metadata: [
                    "service": "\(service)", "known": "\(known)", "error": "\(error)", "retry_in": "\(backoff)",
                ])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, configuration.maximumBackoff)
            }
        }
    }

    /// Consul's rules for the next `index`: an index that went backwards means Consul's state was reset
    /// (a restored snapshot, a new cluster) and must be started over from 0; an index of 0 would make every
    /// later query return at once, so it is treated as 1.
    static func nextIndex(previous: UInt64, answered: UInt64) -> UInt64 {
        if answered < previous { return 0 }
        return max(answered, 1)
    }
}
