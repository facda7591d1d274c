import BookshelfJSON
import BookshelfContracts
import Foundation
import BookshelfKafka
import XCTest

final class EventConsumerTests: XCTestCase {
    static let contracts = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("contracts").path

    func bookAdded(_ registry: ContractRegistry, title: String) throws -> CloudEvent {
        try registry.newEvent(
            type: EventNames.bookAdded, source: EventNames.newBookSource,
            data: ["id": .string(UUID().uuidString.lowercased()), "title": .string(title), "author": "Frank Herbert", "published": 1965])
    }

    func testAValidEventTravelsAsStructuredCloudEventJSON() async throws {
        let registry = try ContractRegistry(folder: Self.contracts)
        let topic = uniqueTopic()
        let fixture = try BrokerFixture(topics: [topic: 3, EventNames.deadLetterTopic: 1])
        let producer = try fixture.producer()
        let events = EventProducer(producer: producer, registry: registry, topic: topic)
        let sent = try bookAdded(registry, title: "Dune")
        let position = try await events.send(sent, key: sent.subject!)

        let consumer = try fixture.consumer([topic])
        let eventConsumer = EventConsumer(
            consumer: consumer, registry: registry,
            deadLetters: DeadLetterPublisher(producer: producer, consumer: "test-view", logger: fixture.logger))
        var iterator = eventConsumer.events.makeAsyncIterator()
        let received = await iterator.next()
        XCTAssertEqual(received?.event, sent)
        XCTAssertEqual(received?.position, position)
        XCTAssertEqual(received?.record.keyString, sent.subject)
        XCTAssertEqual(received?.record.header(EventNames.contentTypeHeader)?.stringValue, CloudEvent.mediaType)
        await consumer.shutdown()
        await producer.shutdown()
    }

    func testAnInvalidEventIsRefusedAndNeverProduced() async throws {
        let registry = try ContractRegistry(folder: Self.contracts)
        let topic = uniqueTopic()
        let fixture = try BrokerFixture(topics: [topic: 1])
        let producer = try fixture.producer()
        var invalid = try bookAdded(registry, title: "Dune")
        invalid.data = ["id": "not-a-uuid", "title": "", "author": "Nobody", "published": 0]
        do {
            _ = try await EventProducer(producer: producer, registry: registry, topic: topic).send(invalid, key: "k")
            XCTFail("an invalid event was sent")
        } catch let error as ContractError {
            XCTAssertEqual(error.code, .contractViolation)
            XCTAssertFalse(error.isRetryable)
        }
        await producer.shutdown()
        let stored = try await replayAll([topic], on: fixture)
        XCTAssertEqual(stored.count, 0)
    }

    func testABatchProducesItsValidEventsAndRefusesItsInvalidOnesEachInItsPlace() async throws {
        let registry = try ContractRegistry(folder: Self.contracts)
        let topic = uniqueTopic()
        let fixture = try BrokerFixture(topics: [topic: 2])
        let producer = try fixture.producer()
        let first = try bookAdded(registry, title: "First")
        var invalid = try bookAdded(registry, title: "Invalid")
        invalid.data = ["id": "not-a-uuid", "title": "Invalid", "author": "Nobody", "published": 1965]
        let last = try bookAdded(registry, title: "Last")
        let outcomes = await EventProducer(producer: producer, registry: registry, topic: topic)
            .send(contentsOf: [(first, first.subject!), (invalid, "invalid"), (last, last.subject!)])
        await producer.shutdown()

        XCTAssertEqual(outcomes.count, 3)
        let positions = try [outcomes[0].get(), outcomes[2].get()]
        XCTAssertThrowsError(try outcomes[1].get()) { error in
            XCTAssertEqual((error as? ContractError)?.code, .contractViolation)
        }
        let stored = try await replayAll([topic], on: fixture)
        XCTAssertEqual(Set(stored.map(\.position)), Set(positions))
        let decoded = try stored.map { try registry.decodeEvent($0.value) }
        XCTAssertEqual(Set(decoded), [first, last])
        XCTAssertEqual(Set(stored.map(\.keyString)), [first.subject, last.subject])
    }

    func testPoisonRecordsGoToTheDeadLetterTopicAndTheConsumerGoesOn() async throws {
        let registry = try ContractRegistry(folder: Self.contracts)
        let topic = uniqueTopic()
        let deadLetterTopic = uniqueTopic("deadletter")
        let fixture = try BrokerFixture(topics: [topic: 1, deadLetterTopic: 1])
        let producer = try fixture.producer()
        let before = try bookAdded(registry, title: "Before")
        let after = try bookAdded(registry, title: "After")
        var unknownType = before.json.serialized()
        unknownType = unknownType.replacingOccurrences(of: EventNames.bookAdded, with: "bookshelf.book.burned")
        var violating = try bookAdded(registry, title: "Violating")
        violating.data = ["id": violating.data["id"]!, "title": "", "author": "A", "published": 1965]
        let poison: [(String, [UInt8])] = [
            ("not-json", Array("{not json".utf8)),
            ("unknown-type-or-dataschema", Array(unknownType.utf8)),
            ("contract-violation", violating.serializedBytes()),
        ]
        _ = try await producer.send(ProducerRecord(topic: topic, key: "b", value: before.serializedBytes()))
        var poisonPositions: [RecordPosition] = []
        for (_, value) in poison {
            poisonPositions.append(try await producer.send(ProducerRecord(
                topic: topic, key: "poison", value: value, headers: [KafkaHeader(name: "trace", value: "t-1")])))
        }
        _ = try await producer.send(ProducerRecord(topic: topic, key: "a", value: after.serializedBytes()))

        let consumer = try fixture.consumer([topic])
        let events = EventConsumer(
            consumer: consumer, registry: registry,
            deadLetters: DeadLetterPublisher(producer: producer, consumer: "list-books", topic: deadLetterTopic, logger: fixture.logger))
        var iterator = events.events.makeAsyncIterator()
        let first = await iterator.next()
        let second = await iterator.next()
        XCTAssertEqual(first?.event, before)
        XCTAssertEqual(second?.event, after, "the consumer did not go on past the poison records")
        let deadLetters = try await finishReplay(iterator, of: events, consumer, deadLetterTopic: deadLetterTopic, on: fixture)
        XCTAssertEqual(deadLetters.count, poison.count)
        for ((code, value), (letter, original)) in zip(poison, zip(deadLetters, poisonPositions)) {
            func header(_ name: String) -> String? { letter.header(name)?.stringValue }
            XCTAssertEqual(letter.value, value)
            XCTAssertEqual(letter.keyString, "poison")
            XCTAssertEqual(header("trace"), "t-1", "the original headers are kept")
            XCTAssertEqual(header(DeadLetterHeaders.originalTopic), topic)
            XCTAssertEqual(header(DeadLetterHeaders.originalPartition), String(original.partition))
            XCTAssertEqual(header(DeadLetterHeaders.originalOffset), String(original.offset))
            XCTAssertEqual(header(DeadLetterHeaders.consumer), "list-books")
            XCTAssertEqual(header(DeadLetterHeaders.reasonCode), code)
            XCTAssertFalse((header(DeadLetterHeaders.reason) ?? "").isEmpty)
        }
        XCTAssertTrue(deadLetters[2].header(DeadLetterHeaders.reason)?.stringValue?.contains("/data/title") == true,
                      "the reason names the violation's JSON pointer")
        await producer.shutdown()
    }

    /// Large batches are decoded in two halves at once; events must still come out in record order, with
    /// every poison record dead-lettered in its place.
    func testABigBatchKeepsRecordOrderAndDeadLettersInPlace() async throws {
        let registry = try ContractRegistry(folder: Self.contracts)
        let topic = uniqueTopic()
        let deadLetterTopic = uniqueTopic("deadletter")
        let fixture = try BrokerFixture(topics: [topic: 1, deadLetterTopic: 1])
        let producer = try fixture.producer()
        var records: [ProducerRecord] = []
        var expectedTitles: [String] = []
        var poisonCount = 0
        for index in 0..<500 {
            if index % 37 == 5 {
                records.append(ProducerRecord(topic: topic, key: "poison", value: Array("{\"poison\":\(index)".utf8)))
                poisonCount += 1
            } else {
                let event = try bookAdded(registry, title: "Book \(index)")
                records.append(ProducerRecord(topic: topic, key: "k", value: event.serializedBytes()))
                expectedTitles.append("Book \(index)")
            }
        }
        for result in await producer.send(contentsOf: records) { _ = try result.get() }

        let consumer = try fixture.consumer([topic])
        let events = EventConsumer(
            consumer: consumer, registry: registry,
            deadLetters: DeadLetterPublisher(producer: producer, consumer: "list-books", topic: deadLetterTopic, logger: fixture.logger))
        var titles: [String] = []
        var offsets: [Int64] = []
        var iterator = events.events.makeAsyncIterator()
        while titles.count < expectedTitles.count, let next = await iterator.next() {
            titles.append(next.event.data["title"]?.string ?? "?")
            offsets.append(next.position.offset)
        }
        XCTAssertEqual(titles, expectedTitles)
        XCTAssertEqual(offsets, offsets.sorted())
        let deadLetters = try await finishReplay(iterator, of: events, consumer, deadLetterTopic: deadLetterTopic, on: fixture)
        XCTAssertEqual(deadLetters.map { String(decoding: $0.value, as: UTF8.self) },
                       (0..<500).filter { $0 % 37 == 5 }.map { "{\"poison\":\($0)" })
        XCTAssertEqual(deadLetters.count, poisonCount)
        await producer.shutdown()
    }

    /// Asks past the last record, which must make the consumer report caught up, shuts the consumer down,
    /// and returns what reached the dead-letter topic.
    private func finishReplay(
        _ iterator: sending EventConsumer.EventStream.AsyncIterator, of events: EventConsumer, _ consumer: KafkaConsumer,
        deadLetterTopic: String, on fixture: BrokerFixture
    ) async throws -> [KafkaRecord] {
        let caughtUp = Task { await events.caughtUp() }
        let reader = Task { var iterator = iterator; return await iterator.next() }
        let wasCaughtUp = await caughtUp.value
        XCTAssertTrue(wasCaughtUp)
        await consumer.shutdown()
        _ = await reader.value
        return try await replayAll([deadLetterTopic], on: fixture)
    }

    func testAReaderCanDeadLetterAnEventItCannotApply() async throws {
        let registry = try ContractRegistry(folder: Self.contracts)
        let topic = uniqueTopic()
        let deadLetterTopic = uniqueTopic("deadletter")
        let fixture = try BrokerFixture(topics: [topic: 1, deadLetterTopic: 1])
        let producer = try fixture.producer()
        let event = try bookAdded(registry, title: "Twice")
        _ = try await EventProducer(producer: producer, registry: registry, topic: topic).send(event, key: event.subject!)

        let consumer = try fixture.consumer([topic])
        let events = EventConsumer(
            consumer: consumer, registry: registry,
            deadLetters: DeadLetterPublisher(producer: producer, consumer: "last-read", topic: deadLetterTopic, logger: fixture.logger))
        var iterator = events.events.makeAsyncIterator()
        let next = await iterator.next()
        let consumed = try XCTUnwrap(next)
        await events.deadLetter(consumed, reason: DeadLetterReason(code: "unknown-book", detail: "finished a book never added"))
        await consumer.shutdown()

        let letters = try await replayAll([deadLetterTopic], on: fixture)
        XCTAssertEqual(letters.count, 1)
        XCTAssertEqual(letters.first?.header(DeadLetterHeaders.reasonCode)?.stringValue, "unknown-book")
        XCTAssertEqual(letters.first?.header(DeadLetterHeaders.reason)?.stringValue, "finished a book never added")
        XCTAssertEqual(letters.first?.header(DeadLetterHeaders.consumer)?.stringValue, "last-read")
        await producer.shutdown()
    }

    func testDeadLetterHeaderNamesAreTheContractsNames() {
        XCTAssertEqual(DeadLetterPublisher.Header.topic, DeadLetterHeaders.originalTopic)
        XCTAssertEqual(DeadLetterPublisher.Header.partition, DeadLetterHeaders.originalPartition)
        XCTAssertEqual(DeadLetterPublisher.Header.offset, DeadLetterHeaders.originalOffset)
        XCTAssertEqual(DeadLetterPublisher.Header.consumer, DeadLetterHeaders.consumer)
        XCTAssertEqual(DeadLetterPublisher.Header.reason, DeadLetterHeaders.reason)
        XCTAssertEqual(DeadLetterPublisher.Header.reasonCode, DeadLetterHeaders.reasonCode)
    }
}
