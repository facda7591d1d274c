import BookshelfContracts
import BookshelfJSON
import BookshelfKafka
import BookshelfServiceKit
import Foundation
import HTTPTypes
import Logging
import Testing

/// Keeps the titles of added events in the order applied, and rejects any titled "reject".
struct Titles: Projection {
    var seen = SeenEvents()
    var titles: [String] = []
    init() {}

    mutating func apply(_ event: TitleEvent) -> ApplyOutcome {
        guard seen.insert(event.id) else { return .duplicate }
        guard let title = event.title else { return .applied }
        guard title != "reject" else { return .rejected(UnreadableEvent(code: "rejected-by-test", message: "the test refuses \(title)")) }
        titles.append(title)
        return .applied
    }
}

/// The one event path, over a real Kafka-protocol broker: what a service produces (`EventCodec` and
/// `KafkaEventPublisher`) and what a view replays (`KafkaEventSource`, `ProjectionHost`, `KafkaDeadLetterSink`).
@Suite(.serialized) struct KafkaEventPathTests {
    let contracts = Result { () throws(ContractError) in try ContractsLocation.load(flag: nil, environmentVariable: "BOOKSHELF_CONTRACTS") }

    /// An embedded broker with an events topic and a dead-letter topic of their own, and a producer.
    final class Fixture {
        let broker: EmbeddedBroker
        let producer: KafkaProducer
        let logger: Logger
        let stream: EventStream

        init(partitions: Int = 1) throws {
            var logger = Logger(label: "kafka-event-path-tests")
            logger.logLevel = .critical
            self.logger = logger
            let unique = UInt32.random(in: 0...UInt32.max)
            stream = EventStream(topic: "test.events.\(unique)", deadLetterTopic: "test.deadletter.\(unique)")
            broker = try EmbeddedBroker(brokers: 1, topics: [(stream.topic, partitions), (stream.deadLetterTopic, 1)], logger: logger)
            producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers, clientID: "test"), logger: logger)
        }

        var publisher: KafkaEventPublisher { KafkaEventPublisher(producer: producer, topic: stream.topic) }

        func consumer(_ topic: String, name: String) throws -> KafkaConsumer {
            try KafkaConsumer(configuration: .init(bootstrapServers: broker.bootstrapServers, topics: [topic], mode: .replay, name: name), logger: logger)
        }

        /// Replays the events topic into `Titles` as a view named `name` does, until caught up; returns what
        /// it applied, then every record of the dead-letter topic.
        func replay(as name: String, contracts: ContractRegistry) async throws -> (titles: [String], deadLetters: [KafkaRecord]) {
            let consumer = try consumer(stream.topic, name: name)
            let readiness = Readiness()
            let host = ProjectionHost<Titles>(
                consumer: name, source: KafkaEventSource(consumer: consumer),
                deadLetters: KafkaDeadLetterSink(
                    publisher: DeadLetterPublisher(producer: producer, consumer: name, topic: stream.deadLetterTopic, logger: logger),
                    bootstrapServers: broker.bootstrapServers, topic: stream.topic, logger: logger),
                contracts: contracts, readiness: readiness, metrics: ServiceMetrics(namespace: "bookshelf"),
                positionHeaders: PositionHeaders(written: HTTPField.Name("X-Test-Position")!, minimum: HTTPField.Name("X-Test-Min-Position")!),
                logger: logger)
            let running = Task { try await host.run() }
            try await readiness.waitUntilReady()
            await consumer.shutdown()
            running.cancel()
            try await running.value
            return (host.read { view, _ in view.titles }, try await readAll(stream.deadLetterTopic))
        }

        /// Every record `topic` holds now.
        func readAll(_ topic: String) async throws -> [KafkaRecord] {
            let consumer = try consumer(topic, name: "reader-\(UInt32.random(in: 0...UInt32.max))")
            let reader = Task {
                var records: [KafkaRecord] = []
                for await record in consumer.records { records.append(record) }
                return records
            }
            let watchdog = Task {
                try await Task.sleep(for: .seconds(20))
                await consumer.shutdown()
            }
            let caughtUp = await consumer.caughtUp()
            watchdog.cancel()
            await consumer.shutdown()
            let records = await reader.value
            try #require(caughtUp, "reading \(topic) did not catch up")
            return records
        }
    }

    @Test func anEventTravelsAsStructuredCloudEventJSONKeyedByItsKey() async throws {
        let fixture = try Fixture(partitions: 3)
        let codec = EventCodec<TitleEvent>(source: "/bookshelf/new-book", contracts: try contracts.get())
        let event = TitleEvent.added("Dune", time: Date(timeIntervalSince1970: 1_800_000_000.25))
        let position = try await fixture.publisher.publish(try codec.record(event))
        await fixture.producer.shutdown()

        let records = try await fixture.readAll(fixture.stream.topic)
        let record = try #require(records.first)
        #expect(records.count == 1)
        #expect(EventPosition(partition: record.position.partition, offset: record.position.offset) == position)
        #expect(record.keyString == event.key)
        #expect(record.header("content-type")?.stringValue == "application/cloudevents+json")
        #expect(try codec.decode(record.value) == event)
        let envelope = try JSONValue(parsing: record.value)
        #expect(envelope["subject"]?.string == event.key)
        #expect(envelope["source"]?.string == "/bookshelf/new-book")
        #expect(envelope["dataschema"]?.string == codec.dataschema(of: TitleEvent.added))
    }

    /// A batch goes out through the same publisher and codec, each record's position answered in its place,
    /// and a view replays them in order.
    @Test func aBatchIsPublishedWithEachPositionInItsPlaceAndReplayedInOrder() async throws {
        let fixture = try Fixture()
        let contracts = try contracts.get()
        let codec = EventCodec<TitleEvent>(source: "/bookshelf/new-book", contracts: contracts)
        let titles = (0..<5).map { "Book \($0)" }
        let results = await fixture.publisher.publish(contentsOf: try titles.map { try codec.record(.added($0)) })
        let positions = try results.map { try $0.get() }
        #expect(positions.map(\.offset) == [0, 1, 2, 3, 4])
        let replayed = try await fixture.replay(as: "titles", contracts: contracts)
        #expect(replayed.titles == titles)
        #expect(replayed.deadLetters.isEmpty)
        await fixture.producer.shutdown()
    }

    /// Records a view cannot read (not JSON, a type no contract describes, data its schema refuses) go to
    /// the dead-letter topic with the whole original record and headers saying where it came from, who gave
    /// up on it and why; the replay goes on past them.
    @Test func poisonIsDeadLetteredWithTheWholeRecordAndTheReplayGoesOn() async throws {
        let fixture = try Fixture()
        let contracts = try contracts.get()
        let codec = EventCodec<TitleEvent>(source: "/bookshelf/new-book", contracts: contracts)
        let before = String(decoding: try codec.encode(.added("Before")), as: UTF8.self)
        let unknownType = before.replacingOccurrences(of: TitleEvent.added, with: "bookshelf.book.burned")
        let blankTitle = before.replacingOccurrences(of: #""title":"Before""#, with: #""title":" ""#)
        let poison: [(code: String, value: String)] = [
            ("not-a-cloudevent", "{not json"), ("unknown-type", unknownType), ("invalid-event", blankTitle),
        ]
        let topic = fixture.stream.topic
        _ = try await fixture.producer.send(ProducerRecord(topic: topic, key: "b", value: Array(before.utf8)))
        var poisonPositions: [RecordPosition] = []
        for (_, value) in poison {
            poisonPositions.append(try await fixture.producer.send(ProducerRecord(
                topic: topic, key: "poison", value: Array(value.utf8), headers: [KafkaHeader(name: "trace", value: "t-1")])))
        }
        _ = try await fixture.publisher.publish(try codec.record(.added("After")))

        let replayed = try await fixture.replay(as: "list-books", contracts: contracts)
        #expect(replayed.titles == ["Before", "After"], "the replay did not go on past the poison records")
        try #require(replayed.deadLetters.count == poison.count)
        for ((code, value), (letter, original)) in zip(poison, zip(replayed.deadLetters, poisonPositions)) {
            func header(_ name: String) -> String? { letter.header(name)?.stringValue }
            #expect(letter.value == Array(value.utf8))
            #expect(letter.keyString == "poison")
            #expect(header("trace") == "t-1", "the original headers are kept")
            #expect(header(DeadLetterPublisher.Header.topic) == topic)
            #expect(header(DeadLetterPublisher.Header.partition) == String(original.partition))
            #expect(header(DeadLetterPublisher.Header.offset) == String(original.offset))
            #expect(header(DeadLetterPublisher.Header.consumer) == "list-books")
            #expect(header(DeadLetterPublisher.Header.reasonCode) == code)
            #expect(!(header(DeadLetterPublisher.Header.reason) ?? "").isEmpty)
        }
        #expect(replayed.deadLetters[2].header(DeadLetterPublisher.Header.reason)?.stringValue?.contains("/data/title") == true,
                "the reason names the violation's JSON pointer")
        await fixture.producer.shutdown()
    }

    /// Large batches are decoded in two halves at once; events must still be applied in record order, with
    /// every poison record dead-lettered in its place.
    @Test func aLargeBatchKeepsRecordOrderAndDeadLettersInPlace() async throws {
        let fixture = try Fixture()
        let contracts = try contracts.get()
        let codec = EventCodec<TitleEvent>(source: "/bookshelf/new-book", contracts: contracts)
        var records: [OutgoingRecord] = []
        var expected: [String] = []
        for index in 0..<500 {
            if index % 37 == 5 {
                records.append(OutgoingRecord(key: "poison", value: Array("{\"poison\":\(index)".utf8), type: "poison"))
            } else {
                records.append(try codec.record(.added("Book \(index)")))
                expected.append("Book \(index)")
            }
        }
        for result in await fixture.publisher.publish(contentsOf: records) { _ = try result.get() }
        let replayed = try await fixture.replay(as: "list-books", contracts: contracts)
        #expect(replayed.titles == expected)
        #expect(replayed.deadLetters.map { String(decoding: $0.value, as: UTF8.self) } == (0..<500).filter { $0 % 37 == 5 }.map { "{\"poison\":\($0)" })
        await fixture.producer.shutdown()
    }

    /// An event that reads fine but that the projection cannot apply is dead-lettered with the projection's
    /// reason, once per consumer however often the view replays.
    @Test func anEventTheProjectionRejectsIsDeadLetteredOnceWithItsReason() async throws {
        let fixture = try Fixture()
        let contracts = try contracts.get()
        let codec = EventCodec<TitleEvent>(source: "/bookshelf/new-book", contracts: contracts)
        for title in ["kept", "reject"] { _ = try await fixture.publisher.publish(try codec.record(.added(title))) }
        let first = try await fixture.replay(as: "last-read", contracts: contracts)
        #expect(first.titles == ["kept"])
        let again = try await fixture.replay(as: "last-read", contracts: contracts)
        #expect(again.titles == ["kept"])
        let letters = again.deadLetters
        #expect(letters.count == 1, "a restart dead-letters nothing twice")
        #expect(letters.first?.header(DeadLetterPublisher.Header.reasonCode)?.stringValue == "rejected-by-test")
        #expect(letters.first?.header(DeadLetterPublisher.Header.reason)?.stringValue == "the test refuses reject")
        #expect(letters.first?.header(DeadLetterPublisher.Header.consumer)?.stringValue == "last-read")
        await fixture.producer.shutdown()
    }

    /// The headers a dead letter gets are the ones contracts/deadletter/headers.schema.json names.
    @Test func deadLetterHeaderNamesAreTheContractsNames() throws {
        let contracts = try contracts.get()
        let schema = try #require(contracts.schema(id: "https://bookshelf.example/contracts/deadletter/headers.schema.json"))
        let named = Set(schema["properties"]?.members.map(\.key) ?? [])
        let written: Set = [
            DeadLetterPublisher.Header.topic, DeadLetterPublisher.Header.partition, DeadLetterPublisher.Header.offset,
            DeadLetterPublisher.Header.consumer, DeadLetterPublisher.Header.reason, DeadLetterPublisher.Header.reasonCode,
        ]
        #expect(written == named)
    }
}
