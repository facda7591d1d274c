import Foundation
import BookshelfKafka
import BookshelfTesting
import XCTest

final class KafkaConsumerTests: XCTestCase {
    func testRecordsWithTheSameKeyArriveInOrderAcrossPartitions() async throws {
        let topic = uniqueTopic()
        let fixture = try BrokerFixture(brokers: 3, topics: [topic: 6])
        let producer = try fixture.producer()
        let keys = (0..<12).map { "book-\($0)" }
        let perKey = 40
        try await withThrowingTaskGroup(of: Void.self) { group in
            for key in keys {
                // Each key's records are sent one after another, so their order is defined.
                group.addTask {
                    for sequence in 0..<perKey {
                        _ = try await producer.send(ProducerRecord(topic: topic, key: key, value: Array("\(sequence)".utf8)))
                    }
                }
            }
            try await group.waitForAll()
        }
        await producer.shutdown()

        let records = try await fixture.broker.replay([topic])
        XCTAssertEqual(records.count, keys.count * perKey)
        let byKey = Dictionary(grouping: records) { $0.keyString ?? "" }
        XCTAssertEqual(Set(byKey.keys), Set(keys))
        for (key, records) in byKey {
            XCTAssertEqual(records.map { String(decoding: $0.value, as: UTF8.self) }, (0..<perKey).map(String.init), "order of \(key)")
            XCTAssertEqual(Set(records.map(\.position.partition)).count, 1, "\(key) spread over partitions")
        }
        XCTAssertGreaterThan(Set(records.map(\.position.partition)).count, 1, "every key landed in one partition")
    }

    /// The consumer reuses the previous record's header list when the next record's headers are the same;
    /// every record must still come with exactly its own headers.
    func testEachRecordKeepsItsOwnHeadersWhenNeighboursShareOrDiffer() async throws {
        let topic = uniqueTopic()
        let fixture = try BrokerFixture(topics: [topic: 1])
        let producer = try fixture.producer()
        let json = KafkaHeader(name: "content-type", value: "application/cloudevents+json")
        let headerLists: [[KafkaHeader]] = [
            [json], [json],
            [KafkaHeader(name: "content-type", value: "application/cloudevents+jsoN")],
            [], [json],
            [json, KafkaHeader(name: "trace", value: [0, 255])],
            [json, KafkaHeader(name: "trace", value: [0, 254])],
            [KafkaHeader(name: "content-typf", value: "application/cloudevents+json")],
            [KafkaHeader(name: "empty", value: [])], [json],
        ]
        let records = headerLists.map { ProducerRecord(topic: topic, key: "k", value: [1], headers: $0, partition: 0) }
        for result in await producer.send(contentsOf: records) { _ = try result.get() }
        await producer.shutdown()

        let received = try await fixture.broker.replay([topic])
        XCTAssertEqual(received.map(\.headers), headerLists)
    }

    func testReplayAfterRestartSeesEverythingAgainAndKnowsWhenItCaughtUp() async throws {
        let topic = uniqueTopic()
        let fixture = try BrokerFixture(topics: [topic: 4])
        let producer = try fixture.producer()
        for index in 0..<50 {
            _ = try await producer.send(ProducerRecord(topic: topic, key: "k\(index)", value: [UInt8(index)]))
        }
        let first = try await fixture.broker.replay([topic])
        XCTAssertEqual(first.map(\.value).sorted { $0[0] < $1[0] }, (0..<50).map { [UInt8($0)] })

        for index in 50..<60 {
            _ = try await producer.send(ProducerRecord(topic: topic, key: "k\(index)", value: [UInt8(index)]))
        }
        let second = try await fixture.broker.replay([topic])
        XCTAssertEqual(second.count, 60)
        XCTAssertEqual(Set(second.map(\.position)).isSuperset(of: Set(first.map(\.position))), true)
        await producer.shutdown()
    }

    func testReplayOfAnEmptyTopicIsCaughtUpAtOnce() async throws {
        let topic = uniqueTopic()
        let fixture = try BrokerFixture(topics: [topic: 3])
        let records = try await fixture.broker.replay([topic], within: .seconds(10))
        XCTAssertEqual(records.count, 0)
    }

    func testCaughtUpWaitsForTheReaderToProcessTheLastRecord() async throws {
        let topic = uniqueTopic()
        let fixture = try BrokerFixture(topics: [topic: 1])
        let producer = try fixture.producer()
        for index in 0..<3 { _ = try await producer.send(ProducerRecord(topic: topic, key: "k", value: [UInt8(index)])) }
        await producer.shutdown()

        let consumer = try fixture.consumer([topic])
        var iterator = consumer.records.makeAsyncIterator()
        let caughtUp = Task { await consumer.caughtUp() }
        _ = try await collect(3, from: &iterator, of: consumer)
        // Known by the time records arrive: a replaying view sizes its tables by it.
        XCTAssertEqual(consumer.recordsAtStart, 3)
        try await Task.sleep(for: .milliseconds(200))
        // The third record was handed out but the reader has not come back for more: not processed yet.
        XCTAssertFalse(consumer.isCaughtUp, "caught up before the last record was processed")
        let reader = Task { var iterator = iterator; return await iterator.next() }
        let wasCaughtUp = await caughtUp.value
        XCTAssertTrue(wasCaughtUp)
        XCTAssertTrue(consumer.isCaughtUp)
        await consumer.shutdown()
        _ = await reader.value
    }

    func testAnUndrainedStreamStopsFetchingAtItsCapacity() async throws {
        let topic = uniqueTopic()
        let fixture = try BrokerFixture(topics: [topic: 1])
        let producer = try fixture.producer()
        let count = 3_000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                group.addTask { _ = try await producer.send(ProducerRecord(topic: topic, key: "k", value: Array("\(index)".utf8))) }
            }
            try await group.waitForAll()
        }
        await producer.shutdown()

        // A buffer of 10 records and no reader: the thread must block instead of buffering 3,000.
        let consumer = try fixture.consumer([topic], bufferCapacity: 10)
        try await Task.sleep(for: .seconds(1))
        var iterator = consumer.records.makeAsyncIterator()
        let all = try await collect(count, from: &iterator, of: consumer)
        // Concurrent sends have no defined order; every record must arrive exactly once.
        XCTAssertTrue(Set(all.map { String(decoding: $0.value, as: UTF8.self) }) == Set((0..<count).map(String.init)))
        await consumer.shutdown()
    }

    func testGroupModeCommitsOnlyProcessedRecords() async throws {
        let topic = uniqueTopic()
        let fixture = try BrokerFixture(topics: [topic: 2])
        let producer = try fixture.producer()
        for index in 0..<20 { _ = try await producer.send(ProducerRecord(topic: topic, key: "k\(index % 2)", value: [UInt8(index)])) }

        let group = KafkaConsumerConfiguration.Mode.group(id: "workers-\(UInt32.random(in: 0...UInt32.max))")
        // The mock coordinator waits a session timeout (less a second) for departed members before it
        // rebalances; a short session keeps the hand-over to the second worker quick.
        let session = ["session.timeout.ms": "3000", "heartbeat.interval.ms": "500"]
        let first = try fixture.consumer([topic], mode: group, name: "worker-1", properties: session)
        var iterator = first.records.makeAsyncIterator()
        let processed = try await collect(10, from: &iterator, of: first, within: .seconds(30))
        // Asking for record 11 marks record 10 as processed; record 11 itself is not.
        let unprocessed = await iterator.next()
        XCTAssertNotNil(unprocessed)
        await first.shutdown()

        let second = try fixture.consumer([topic], mode: group, name: "worker-2", properties: session)
        var secondIterator = second.records.makeAsyncIterator()
        let rest = try await collect(10, from: &secondIterator, of: second, within: .seconds(30))
        await second.shutdown()
        XCTAssertEqual(Set(processed.map(\.position)).intersection(rest.map(\.position)), [])
        XCTAssertTrue(rest.map(\.position).contains(unprocessed!.position), "the unprocessed record was not delivered again")
        XCTAssertEqual(Set((processed + rest).map { $0.value[0] }), Set((0..<20).map(UInt8.init)))
        await producer.shutdown()
    }
}
