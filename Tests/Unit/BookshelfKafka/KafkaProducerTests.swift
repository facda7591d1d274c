import Foundation
import BookshelfKafka
import BookshelfTesting
import XCTest

final class KafkaProducerTests: XCTestCase {
    func testRoundTripKeepsKeyValueAndHeaders() async throws {
        let topic = uniqueTopic()
        let fixture = try BrokerFixture(topics: [topic: 3])
        let producer = try fixture.producer()
        let sent = ProducerRecord(
            topic: topic, key: "book-1", value: Array(#"{"title":"Dune"}"#.utf8),
            headers: [KafkaHeader(name: "content-type", value: "application/cloudevents+json"),
                      KafkaHeader(name: "trace", value: [0, 255, 7])])
        let position = try await producer.send(sent)
        XCTAssertEqual(position.topic, topic)
        XCTAssertEqual(position.offset, 0)

        let consumer = try fixture.consumer([topic])
        var iterator = consumer.records.makeAsyncIterator()
        let received = try await collect(1, from: &iterator, of: consumer)
        XCTAssertEqual(received[0].position, position)
        XCTAssertEqual(received[0].keyString, "book-1")
        XCTAssertEqual(received[0].value, sent.value)
        XCTAssertEqual(received[0].headers, sent.headers)
        await consumer.shutdown()
        await producer.shutdown()
    }

    func testFullQueueIsADistinctRetryableError() async throws {
        let topic = uniqueTopic()
        let fixture = try BrokerFixture(topics: [topic: 1])
        try fixture.broker.setAllBrokersDown()
        let producer = try fixture.producer(messageTimeout: .seconds(2), queueCapacity: 1)
        let first = Task { try await producer.send(ProducerRecord(topic: topic, key: "a", value: [1])) }
        // The first record occupies the only queue slot until the broker is back or it times out.
        try await Task.sleep(for: .milliseconds(200))
        do {
            _ = try await producer.send(ProducerRecord(topic: topic, key: "b", value: [2]))
            XCTFail("a second record fitted into a queue of one")
        } catch let error as KafkaError {
            XCTAssertEqual(error.code, .queueFull)
            XCTAssertTrue(error.isRetryable)
        }
        try fixture.broker.setAllBrokersUp()
        _ = try? await first.value
        await producer.shutdown()
    }

    func testSendFailsWithinItsTimeoutWhileTheBrokerIsDownAndSucceedsWhenItIsBack() async throws {
        let topic = uniqueTopic()
        let fixture = try BrokerFixture(topics: [topic: 2])
        let timeout = Duration.seconds(2)
        let producer = try fixture.producer(messageTimeout: timeout)
        _ = try await producer.send(ProducerRecord(topic: topic, key: "warm-up", value: [0]))

        try fixture.broker.setAllBrokersDown()
        let clock = ContinuousClock()
        let started = clock.now
        do {
            _ = try await producer.send(ProducerRecord(topic: topic, key: "while-down", value: [1]))
            XCTFail("send succeeded while every broker was down")
        } catch let error as KafkaError {
            XCTAssertEqual(error.code, .timedOut, "\(error)")
            XCTAssertTrue(error.isRetryable)
        }
        let elapsed = clock.now - started
        // librdkafka scans for timed-out messages once a second, hence the slack.
        XCTAssertLessThan(elapsed, timeout + .seconds(2), "send took \(elapsed) to fail")

        try fixture.broker.setAllBrokersUp()
        var position: RecordPosition?
        for _ in 0..<5 where position == nil {
            position = try? await producer.send(ProducerRecord(topic: topic, key: "after", value: [2]))
        }
        XCTAssertNotNil(position, "send did not succeed again after the broker came back")
        await producer.shutdown()
    }

    func testShutdownWithRecordsInFlightLosesNoneThatWereAcknowledged() async throws {
        let topic = uniqueTopic()
        let fixture = try BrokerFixture(topics: [topic: 4])
        let producer = try fixture.producer(flushTimeout: .seconds(5))
        // Slow acknowledgements keep records in flight when shutdown starts.
        try fixture.broker.setRoundTripTime(.milliseconds(50))
        let count = 2_000
        let outcomes = Task {
            await withTaskGroup(of: (Int, RecordPosition?).self) { group in
                for index in 0..<count {
                    group.addTask {
                        (index, try? await producer.send(ProducerRecord(topic: topic, key: "k\(index % 50)", value: Array("\(index)".utf8))))
                    }
                }
                var acknowledged: [Int: RecordPosition] = [:]
                for await (index, position) in group {
                    if let position { acknowledged[index] = position }
                }
                return acknowledged
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        await producer.shutdown()
        let acknowledged = await outcomes.value
        XCTAssertGreaterThan(acknowledged.count, 0)
        try fixture.broker.setRoundTripTime(.zero)

        var stored: [RecordPosition: [UInt8]] = [:]
        for record in try await fixture.broker.replay([topic]) { stored[record.position] = record.value }
        for (index, position) in acknowledged {
            XCTAssertEqual(stored[position], Array("\(index)".utf8), "acknowledged record \(index) at \(position) is missing")
        }
    }

    func testShutdownThatRunsOutOfTimeFailsTheRestAndLeavesNoSenderWaiting() async throws {
        let topic = uniqueTopic()
        let fixture = try BrokerFixture(topics: [topic: 2])
        let producer = try fixture.producer(flushTimeout: .milliseconds(100))
        _ = try await producer.send(ProducerRecord(topic: topic, key: "warm-up", value: [0]))
        // Acknowledgements slower than the flush deadline: shutdown must purge what is still queued.
        try fixture.broker.setRoundTripTime(.milliseconds(1_000))
        let records = (1...200).map { ProducerRecord(topic: topic, key: "k\($0 % 7)", value: Array("\($0)".utf8)) }
        let outcome = Task { await producer.send(contentsOf: records) }
        try await Task.sleep(for: .milliseconds(50))
        await producer.shutdown()
        let results = await outcome.value
        try fixture.broker.setRoundTripTime(.zero)

        let failures = results.compactMap { result -> KafkaError? in
            if case .failure(let error) = result { return error }
            return nil
        }
        XCTAssertFalse(failures.isEmpty, "nothing was left in flight at the deadline")
        XCTAssertTrue(failures.allSatisfy { $0.code == .shutDown || $0.code == .timedOut }, "\(Set(failures.map(\.code)))")
        let stored = Dictionary(uniqueKeysWithValues: try await fixture.broker.replay([topic]).map { ($0.position, $0.value) })
        for (record, result) in zip(records, results) {
            if case .success(let position) = result {
                XCTAssertEqual(stored[position], record.value, "acknowledged record at \(position) is missing")
            }
        }
    }

    func testABatchSettlesEveryRecordInOrder() async throws {
        let topic = uniqueTopic()
        let fixture = try BrokerFixture(topics: [topic: 3])
        try fixture.broker.setAllBrokersDown()
        let producer = try fixture.producer(queueCapacity: 5)
        let records = (0..<8).map { ProducerRecord(topic: topic, key: "k\($0)", value: [UInt8($0)]) }
        let outcome = Task { await producer.send(contentsOf: records) }
        try await Task.sleep(for: .milliseconds(200))
        try fixture.broker.setAllBrokersUp()
        let results = await outcome.value

        XCTAssertEqual(results.count, 8)
        let positions = results.prefix(5).compactMap { try? $0.get() }
        XCTAssertEqual(positions.count, 5, "the records that fitted into the queue were not all acknowledged")
        for result in results.suffix(3) {
            XCTAssertThrowsError(try result.get()) { XCTAssertEqual(($0 as? KafkaError)?.code, .queueFull) }
        }
        await producer.shutdown()
        let stored = try await fixture.broker.replay([topic])
        XCTAssertEqual(Set(stored.map(\.position)), Set(positions))
        for (position, record) in zip(positions, records) {
            XCTAssertEqual(stored.first { $0.position == position }?.value, record.value)
        }
    }

    func testABatchOfMixedRecordsArrivesAsSent() async throws {
        // One send whose records change topic, partition, key, headers and value size from one to the next:
        // each must reach the broker exactly as it was given, however the batch lays them out on the way.
        let first = uniqueTopic() + "-a", second = uniqueTopic() + "-b"
        let fixture = try BrokerFixture(topics: [first: 2, second: 3])
        let producer = try fixture.producer()
        let json = [KafkaHeader(name: "content-type", value: "application/json")]
        let yaml = [KafkaHeader(name: "content-type", value: "application/yaml")] // as long as json's
        let traced = [KafkaHeader(name: "trace", value: [0, 255]), KafkaHeader(name: "empty", value: [])]
        let records = [
            ProducerRecord(topic: first, key: "a", value: Array("one".utf8), headers: json, partition: 0),
            ProducerRecord(topic: first, key: "y", value: Array("yaml".utf8), headers: yaml, partition: 0),
            ProducerRecord(topic: first, key: nil, value: [], headers: json),
            ProducerRecord(topic: second, key: "", value: [UInt8](repeating: 7, count: 70_000), headers: traced, partition: 2),
            ProducerRecord(topic: second, key: "b", value: [1], headers: []),
            ProducerRecord(topic: first, key: "c", value: Array("two".utf8), headers: traced, partition: 1),
        ]
        let positions = try await producer.send(contentsOf: records).map { try $0.get() }
        XCTAssertEqual(positions.map(\.topic), records.map(\.topic))
        XCTAssertEqual(positions[3].partition, 2)
        XCTAssertEqual(positions[5].partition, 1)
        await producer.shutdown()

        let stored = try await fixture.broker.replay([first, second])
        XCTAssertEqual(stored.count, records.count)
        for (position, record) in zip(positions, records) {
            guard let got = stored.first(where: { $0.position == position }) else {
                XCTFail("nothing stored at \(position)")
                continue
            }
            XCTAssertEqual(got.key, record.key, "key at \(position)")
            XCTAssertEqual(got.value, record.value, "value at \(position)")
            XCTAssertEqual(got.headers, record.headers, "headers at \(position)")
        }
    }

    func testSendAfterShutdownFails() async throws {
        let topic = uniqueTopic()
        let fixture = try BrokerFixture(topics: [topic: 1])
        let producer = try fixture.producer()
        await producer.shutdown()
        do {
            _ = try await producer.send(ProducerRecord(topic: topic, key: "late", value: [1]))
            XCTFail("send succeeded after shutdown")
        } catch let error as KafkaError {
            XCTAssertEqual(error.code, .shutDown)
            XCTAssertFalse(error.isRetryable)
        }
    }
}
