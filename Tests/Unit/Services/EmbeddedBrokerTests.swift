import BookRead
import Foundation
import Hummingbird
import HummingbirdTesting
import BookshelfKafka
import LastRead
import ListBooks
import Logging
import NewBook
import BookshelfDomain
import BookshelfServiceKit
import ServiceLifecycle
import Testing

/// The four services wired to Kafka exactly as the subcommands wire them, on the embedded broker.
@Suite(.serialized) struct EmbeddedBrokerTests {
    @Test func aBookTravelsFromNewBookToBothViewsAndPoisonIsDeadLettered() async throws {
        var logger = Logger(label: "services-broker-test")
        logger.logLevel = .critical
        let broker = try EmbeddedBroker(brokers: 1, topics: [(BookshelfEvents.topic, 3), (BookshelfEvents.deadLetterTopic, 1)], logger: logger)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers), logger: logger)
        let publisher = KafkaEventPublisher(producer: producer, topic: BookshelfEvents.topic)
        let metrics = ServiceMetrics(namespace: "bookshelf")
        var consumers: [KafkaConsumer] = []

        func host<P: Projection>(_ type: P.Type, _ name: String, _ readiness: Readiness) throws -> ProjectionHost<P> {
            let consumer = try KafkaConsumer(
                configuration: .init(bootstrapServers: broker.bootstrapServers, topics: [BookshelfEvents.topic], mode: .replay, name: name),
                logger: logger
            )
            consumers.append(consumer)
            let deadLetters = KafkaDeadLetterSink(publisher: DeadLetterPublisher(producer: producer, consumer: name, topic: BookshelfEvents.deadLetterTopic, logger: logger), bootstrapServers: broker.bootstrapServers, topic: BookshelfEvents.topic, logger: logger)
            return ProjectionHost<P>(consumer: name, source: KafkaEventSource(consumer: consumer), deadLetters: deadLetters, contracts: repositoryContracts, readiness: readiness, metrics: metrics, positionHeaders: BookshelfEvents.positionHeaders, logger: logger)
        }
        func routes() -> (ServiceRoutes, Readiness) {
            let readiness = Readiness()
            return (ServiceRoutes(metrics: metrics, readiness: readiness, problemNamespace: "urn:bookshelf:problem:"), readiness)
        }

        let (newBookRoutes, newBookReady) = routes()
        let newBookState = try host(NewBookState.self, "newbook-test", newBookReady)
        NewBookService(state: newBookState, publisher: publisher, contracts: repositoryContracts, metrics: metrics).addRoutes(to: newBookRoutes)
        let (bookReadRoutes, bookReadReady) = routes()
        let known = try host(KnownBooks.self, "readbook-test", bookReadReady)
        BookReadService(state: known, publisher: publisher, contracts: repositoryContracts, metrics: metrics).addRoutes(to: bookReadRoutes)
        let (listRoutes, listReady) = routes()
        let list = try host(BookList.self, "booklist-test", listReady)
        ListBooksService(view: list).addRoutes(to: listRoutes)
        let (lastRoutes, lastReady) = routes()
        let last = try host(LastReadBooks.self, "lastread-test", lastReady)
        LastReadService(view: last).addRoutes(to: lastRoutes)

        let hosts: [any Service] = [newBookState, known, list, last]
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: producer)]
                + hosts.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }
                + consumers.map { .init(service: $0) },
            logger: logger
        ))
        let running = Task { try await group.run() }

        // How fast they get ready is measured by make bench-services, not asserted here: a timed
        // expectation fails whenever the machine is busy.
        for readiness in [newBookReady, bookReadReady, listReady, lastReady] { try await readiness.waitUntilReady() }

        let created = try await Application(router: newBookRoutes).test(.router) { client in
            try await client.execute(
                uri: "/bookshelf/books", method: .post, headers: [.contentType: "application/json", .idempotencyKey: "broker-test"],
                body: ByteBuffer(string: #"{"title":"The Left Hand of Darkness","author":"Ursula K. Le Guin","published":1969,"tags":["sf"]}"#)
            )
        }
        #expect(created.status == .created)
        let book = try JSONDecoder().decode(Book.self, from: Data(buffer: created.body))
        let addedAt = try #require(created.headers[.bookshelfPosition])
        let id = book.id.uuidString.lowercased()

        let finishedAt = try await Application(router: bookReadRoutes).test(.router) { client in
            let response = try await client.execute(uri: "/bookshelf/books/\(id)/finished", method: .post, headers: [.bookshelfMinPosition: addedAt])
            #expect(response.status == .noContent)
            return try #require(response.headers[.bookshelfPosition])
        }

        try await Application(router: listRoutes).test(.router) { client in
            let response = try await client.execute(uri: "/bookshelf/books", method: .get, headers: [.bookshelfMinPosition: addedAt])
            #expect(try JSONDecoder().decode([Book].self, from: Data(buffer: response.body)) == [book])
        }
        try await Application(router: lastRoutes).test(.router) { client in
            let response = try await client.execute(uri: "/bookshelf/books/last/read", method: .get, headers: [.bookshelfMinPosition: finishedAt])
            #expect(try JSONDecoder().decode([Book].self, from: Data(buffer: response.body)) == [book])
        }

        let poison = try await producer.send(ProducerRecord(topic: BookshelfEvents.topic, key: "poison", value: Array("not an event".utf8)))
        #expect(await list.waitUntilApplied(PositionVector([EventPosition(partition: poison.partition, offset: poison.offset)]), timeout: .seconds(10)))

        // A view started again (a restart or a replica) meets the poison again, and does not dead-letter it
        // a second time.
        let againReady = Readiness()
        let again = try host(BookList.self, "booklist-test", againReady)
        let againGroup = ServiceGroup(configuration: .init(
            services: [.init(service: again, successTerminationBehavior: .gracefullyShutdownGroup), .init(service: consumers.last!)],
            logger: logger
        ))
        let runningAgain = Task { try await againGroup.run() }
        try await againReady.waitUntilReady()
        await againGroup.triggerGracefulShutdown()
        try await runningAgain.value

        // Every dead letter so far, read to where the topic ended.
        let deadLetters = try KafkaConsumer(
            configuration: .init(bootstrapServers: broker.bootstrapServers, topics: [BookshelfEvents.deadLetterTopic], mode: .replay, name: "dlq-reader"),
            logger: logger
        )
        let reader = Task {
            var found: [(consumer: String, reason: String)] = []
            for await record in deadLetters.records {
                found.append((record.header(DeadLetterPublisher.Header.consumer)?.stringValue ?? "", record.header(DeadLetterPublisher.Header.reasonCode)?.stringValue ?? ""))
            }
            return found
        }
        _ = await deadLetters.caughtUp()
        await deadLetters.shutdown()
        let letters = await reader.value
        #expect(Dictionary(letters.map { ($0.consumer, $0.reason) }, uniquingKeysWith: { first, _ in first })
            == ["newbook-test": "not-a-cloudevent", "readbook-test": "not-a-cloudevent", "booklist-test": "not-a-cloudevent", "lastread-test": "not-a-cloudevent"])
        #expect(letters.count == 4, "one dead letter per consumer, however often it replays: \(letters.map(\.consumer))")

        await group.triggerGracefulShutdown()
        try await running.value
        broker.shutdown()
    }
}
