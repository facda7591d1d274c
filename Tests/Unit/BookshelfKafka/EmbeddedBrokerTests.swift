import Foundation
import BookshelfKafka
import XCTest

final class EmbeddedBrokerTests: XCTestCase {
    func testItCreatesTheTopicsItIsGivenAndServesEveryBroker() async throws {
        let logger = BrokerFixture.testLogger
        let broker = try EmbeddedBroker(brokers: 3, topics: [("app.events", 5), ("app.deadletter", 1)], logger: logger)
        XCTAssertEqual(broker.bootstrapServers.split(separator: ",").count, 3)
        XCTAssertEqual(broker.brokerIDs, [1, 2, 3])
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: broker.firstBrokerAddress), logger: logger)
        var partitions = Set<Int32>()
        for index in 0..<40 {
            partitions.insert(try await producer.send(ProducerRecord(topic: "app.events", key: "k\(index)", value: [1])).partition)
        }
        XCTAssertEqual(partitions, Set(0..<5))
        _ = try await producer.send(ProducerRecord(topic: "app.deadletter", key: "k", value: [1]))
        await producer.shutdown()
        broker.shutdown()
        XCTAssertThrowsError(try broker.setAllBrokersDown()) { error in
            XCTAssertEqual((error as? KafkaError)?.code, .shutDown)
        }
    }

    func testTheRetentionWatcherReportsRecordsTheMockDropped() async throws {
        let topic = uniqueTopic()
        let fixture = try BrokerFixture(topics: [topic: 1])
        let watcher = try RetentionWatcher(bootstrapServers: fixture.broker.bootstrapServers, topics: [topic], logger: fixture.logger)
        XCTAssertEqual(watcher.check(), [])
        let producer = try fixture.producer()
        // 7 MiB into one partition: beyond the mock's 5 MiB per partition.
        let value = [UInt8](repeating: 42, count: 64 * 1024)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<112 {
                group.addTask { _ = try await producer.send(ProducerRecord(topic: topic, key: nil, value: value)) }
            }
            try await group.waitForAll()
        }
        await producer.shutdown()
        let drops = watcher.check()
        XCTAssertEqual(drops.count, 1)
        XCTAssertEqual(drops.first?.topic, topic)
        XCTAssertGreaterThan(drops.first?.lowWatermark ?? 0, 0)
        XCTAssertEqual(watcher.check(), [], "the same drop is reported once")
    }
}
