import Logging
import ServiceLifecycle

/// Runs an ``EmbeddedBroker`` as a ServiceLifecycle service: watches its retention while running and
/// stops the brokers at graceful shutdown.
package final class EmbeddedBrokerService: Service, Sendable {
    package let broker: EmbeddedBroker
    private let watcher: RetentionWatcher
    private let checkInterval: Duration

    package init(broker: EmbeddedBroker, watchedTopics: [String], checkInterval: Duration = .seconds(1), logger: Logger) throws(KafkaError) {
        self.broker = broker
        self.watcher = try RetentionWatcher(bootstrapServers: broker.bootstrapServers, topics: watchedTopics, logger: logger)
        self.checkInterval = checkInterval
    }

    package func run() async throws {
        watcher.start(every: checkInterval)
        try? await gracefulShutdown()
        await watcher.stop()
        broker.shutdown()
    }
}
