import BookshelfKafka
import FoundationEssentials
import Logging

/// Runs `body` with an embedded broker (librdkafka's mock cluster, in this process) that holds `topics`
/// (name: partitions), then shuts the broker down, whether `body` returned or threw. Give your clients
/// `broker.bootstrapServers`; stop them before `body` returns, so nothing talks to a broker that is gone.
///
/// ```swift
/// try await withEmbeddedBroker(topics: ["reviews.events": 3, "reviews.deadletter": 1]) { broker in
///     let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers), logger: logger)
///     …
/// }
/// ```
///
/// The logger is quiet (critical only) unless `BOOKSHELF_TEST_LOG` names a level.
public func withEmbeddedBroker<Value>(
    topics: [String: Int], brokers: Int = 1, logger: Logger = testLogger(label: "embedded-broker"),
    _ body: (EmbeddedBroker) async throws -> Value
) async throws -> Value {
    let broker = try EmbeddedBroker(brokers: brokers, logger: logger)
    defer { broker.shutdown() }
    // Sorted: topics are created in the same order on every run.
    for (topic, partitions) in topics.sorted(by: { $0.key < $1.key }) {
        try broker.createTopic(topic, partitions: partitions)
    }
    return try await body(broker)
}

/// A logger for tests: critical only, so a passing run prints nothing, unless the environment variable
/// `BOOKSHELF_TEST_LOG` names a level (`debug`, `info`, …) to see what the clients did.
public func testLogger(label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = ProcessInfo.processInfo.environment["BOOKSHELF_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
    return logger
}

extension EmbeddedBroker {
    /// Every record `topics` hold now, read from their beginning by a consumer of its own, in order within
    /// each partition: what a test checks a service produced (or dead-lettered). Throws `ReplayTimeout` when
    /// the topics cannot be read to their end within `timeout`.
    public func replay(_ topics: [String], within timeout: Duration = .seconds(20)) async throws -> [KafkaRecord] {
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(bootstrapServers: bootstrapServers, topics: topics, mode: .replay, name: "bookshelf-testing-replay"),
            logger: testLogger(label: "embedded-broker-replay")
        )
        let reading = Task {
            var records: [KafkaRecord] = []
            for await record in consumer.records { records.append(record) }
            return records
        }
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            await consumer.shutdown()
        }
        let caughtUp = await consumer.caughtUp()
        watchdog.cancel()
        await consumer.shutdown()
        let records = await reading.value
        guard caughtUp else { throw ReplayTimeout(topics: topics, timeout: timeout, read: records.count) }
        return records
    }
}

/// `EmbeddedBroker.replay` did not reach the end of the topics in time.
public struct ReplayTimeout: Error, CustomStringConvertible {
    public let topics: [String]
    public let timeout: Duration
    public let read: Int
    public var description: String { "could not read \(topics.joined(separator: ", ")) to the end within \(timeout) (read \(read) records)" }
}
