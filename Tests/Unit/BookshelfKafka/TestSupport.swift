import Foundation
import BookshelfKafka
import Logging
import XCTest

/// One embedded broker per test, with the topics the test asks for.
final class BrokerFixture {
    let broker: EmbeddedBroker
    let logger: Logger

    /// Quiet unless KAFKA_TEST_LOG names a level.
    static var testLogger: Logger {
        var logger = Logger(label: "kafka-tests")
        logger.logLevel = ProcessInfo.processInfo.environment["KAFKA_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }

    init(brokers: Int = 1, topics: [String: Int] = [:]) throws {
        let logger = Self.testLogger
        self.logger = logger
        broker = try EmbeddedBroker(brokers: brokers, logger: logger)
        for (topic, partitions) in topics {
            try broker.createTopic(topic, partitions: partitions)
        }
    }

    func producer(messageTimeout: Duration = .seconds(10), queueCapacity: Int = 100_000, flushTimeout: Duration = .seconds(10)) throws -> KafkaProducer {
        try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                bootstrapServers: broker.bootstrapServers, clientID: "test-producer", messageTimeout: messageTimeout,
                queueCapacity: queueCapacity, flushTimeout: flushTimeout),
            logger: logger)
    }

    func consumer(
        _ topics: [String], mode: KafkaConsumerConfiguration.Mode = .replay, name: String = "test-consumer",
        bufferCapacity: Int = 2_000, properties: [String: String] = [:]
    ) throws -> KafkaConsumer {
        try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                bootstrapServers: broker.bootstrapServers, topics: topics, mode: mode, name: name, bufferCapacity: bufferCapacity,
                properties: properties.merging(ProcessInfo.processInfo.environment["KAFKA_TEST_DEBUG"].map { ["debug": $0] } ?? [:]) { $1 }),
            logger: logger)
    }
}

struct TestTimeout: Error, CustomStringConvertible {
    let description: String
}

/// Reads `count` records from one long-lived iterator. After `timeout` a watchdog shuts the consumer down,
/// which ends the stream, so a missing record fails the test instead of hanging it.
func collect(
    _ count: Int, from iterator: inout KafkaConsumerRecords.AsyncIterator, of consumer: KafkaConsumer,
    within timeout: Duration = .seconds(20)
) async throws -> [KafkaRecord] {
    let watchdog = Task {
        try await Task.sleep(for: timeout)
        await consumer.shutdown()
    }
    defer { watchdog.cancel() }
    var records: [KafkaRecord] = []
    while records.count < count, let record = await iterator.next() {
        records.append(record)
    }
    guard records.count == count else {
        throw TestTimeout(description: "received \(records.count) of \(count) records within \(timeout)")
    }
    return records
}

func uniqueTopic(_ name: String = #function) -> String {
    "test.\(name.filter { $0.isLetter || $0.isNumber }).\(UInt32.random(in: 0...UInt32.max))"
}
