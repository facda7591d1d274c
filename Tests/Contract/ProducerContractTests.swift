import BookRead
import BookshelfJSON
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

/// asyncapi.json's send operations, checked on what the real producers write to the embedded broker:
/// new-book and book-read driven through their HTTP routes with the REST examples, and every consumer's
/// dead-letter path driven by records it cannot read.
enum ProducerPhase {
    static let report = Task { await run() }

    /// Consumer names are the services' asyncapi.json tags, so a dead letter's `dlq-consumer` names the
    /// operation's service.
    static let consumers = ["new-book", "book-read", "list-books", "last-read"]

    static func run() async -> Report {
        var report = Report()
        do {
            try await drive(into: &report)
        } catch {
            report.findings.append(Finding(contract: ContractSet.asyncAPIFile, pointer: "/operations", instance: "", message: "the producers could not be driven: \(error)"))
        }
        return report
    }

    private static func drive(into report: inout Report) async throws {
        let contracts = ContractSet.shared
        var logger = Logger(label: "contract-producers")
        logger.logLevel = .critical
        let broker = try EmbeddedBroker(brokers: 1, topics: [(BookshelfEvents.topic, 3), (BookshelfEvents.deadLetterTopic, 1)], logger: logger)
        defer { broker.shutdown() }
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers), logger: logger)
        let publisher = KafkaEventPublisher(producer: producer, topic: BookshelfEvents.topic)
        let metrics = ServiceMetrics(namespace: "bookshelf")
        var kafkaConsumers: [KafkaConsumer] = []
        func host<P: Projection>(_ type: P.Type, _ name: String) throws -> ProjectionHost<P> {
            let consumer = try KafkaConsumer(
                configuration: .init(bootstrapServers: broker.bootstrapServers, topics: [BookshelfEvents.topic], mode: .replay, name: name),
                logger: logger
            )
            kafkaConsumers.append(consumer)
            let deadLetters = KafkaDeadLetterSink(publisher: DeadLetterPublisher(producer: producer, consumer: name, topic: BookshelfEvents.deadLetterTopic, logger: logger), bootstrapServers: broker.bootstrapServers, topic: BookshelfEvents.topic, logger: logger)
            return ProjectionHost<P>(consumer: name, source: KafkaEventSource(consumer: consumer), deadLetters: deadLetters, contracts: repositoryContracts, readiness: Readiness(), metrics: metrics, positionHeaders: BookshelfEvents.positionHeaders, logger: logger)
        }
        let newBookRoutes = ServiceRoutes(metrics: metrics, readiness: Readiness(), problemNamespace: "urn:bookshelf:problem:")
        let newBook = try host(NewBookState.self, "new-book")
        NewBookService(state: newBook, publisher: publisher, contracts: repositoryContracts, metrics: metrics).addRoutes(to: newBookRoutes)
        let bookReadRoutes = ServiceRoutes(metrics: metrics, readiness: Readiness(), problemNamespace: "urn:bookshelf:problem:")
        let known = try host(KnownBooks.self, "book-read")
        BookReadService(state: known, publisher: publisher, contracts: repositoryContracts, metrics: metrics).addRoutes(to: bookReadRoutes)
        let list = try host(BookList.self, "list-books")
        let last = try host(LastReadBooks.self, "last-read")

        let hosts: [any Service] = [newBook, known, list, last]
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: producer)]
                + hosts.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }
                + kafkaConsumers.map { .init(service: $0) },
            logger: logger
        ))
        let running = Task { try await group.run() }
        defer { running.cancel() }
        for _ in 0..<1000 where !(newBook.isCaughtUp && known.isCaughtUp && list.isCaughtUp && last.isCaughtUp) {
            try await Task.sleep(for: .milliseconds(5))
        }

        // new-book, once per valid request example, then twice with one Idempotency-Key (one book).
        let examples = contracts.examples("rest/new-book-request/v2", valid: true)
        let requests = examples.map { ($0, nil as String?) } + examples.prefix(1).flatMap { [($0, "contract-suite-key" as String?), ($0, "contract-suite-key")] }
        let answers = try await Application(router: newBookRoutes).test(.router) { client in
            var answers: [(status: Int, body: [UInt8], position: String)] = []
            for (example, key) in requests {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let key { headers[.idempotencyKey] = key }
                let response = try await client.execute(uri: "/bookshelf/books", method: .post, headers: headers, body: ByteBuffer(bytes: example.bytes))
                answers.append((Int(response.status.code), Array(buffer: response.body), response.headers[.bookshelfPosition] ?? ""))
            }
            return answers
        }
        var created: [(id: String, request: JSONValue, position: String, answer: [UInt8])] = []
        for ((example, key), answer) in zip(requests, answers) {
            let id = (try? JSONValue(parsing: answer.body))?["id"]?.string
            guard answer.status == 201, let id, let request = example.json else {
                report.findings.append(Finding(contract: example.file, pointer: "", instance: "", message: "POST /bookshelf/books answered \(answer.status), not 201"))
                continue
            }
            if key != nil, created.contains(where: { $0.id == id }) { continue }
            created.append((id, request, answer.position, answer.body))
        }
        // Every other book is finished as the original API does it, with the whole book as the body.
        let finishing = created.enumerated().map { (id: $1.id, position: $1.position, body: $0.isMultiple(of: 2) ? $1.answer : []) }
        let finishStatuses = try await Application(router: bookReadRoutes).test(.router) { client in
            var statuses: [Int] = []
            for book in finishing {
                var headers: HTTPFields = [.bookshelfMinPosition: book.position]
                if !book.body.isEmpty { headers[.contentType] = "application/json" }
                let response = try await client.execute(uri: "/bookshelf/books/\(book.id)/finished", method: .post, headers: headers, body: ByteBuffer(bytes: book.body))
                statuses.append(Int(response.status.code))
            }
            return statuses
        }
        for (book, status) in zip(created, finishStatuses) where status != 204 {
            report.findings.append(Finding(contract: "contracts/openapi.json", pointer: "/paths/~1bookshelf~1books~1{id}~1finished/post/responses/204", instance: "", message: "finishing \(book.id) answered \(status)"))
        }

        // Records no consumer can read, each one a dead letter per consumer.
        let poison = [
            contracts.examples("cloudevents", valid: false).first { $0.file.hasSuffix("not-an-object.json") },
            contracts.examples("events/bookshelf.book.finished", valid: false).first { $0.file.hasSuffix("dataschema-names-nothing.json") },
        ].compactMap { $0 }
        var poisonPositions: [RecordPosition: (key: String, value: [UInt8])] = [:]
        for (index, example) in poison.enumerated() {
            let key = "poison-\(index)"
            let position = try await producer.send(ProducerRecord(topic: BookshelfEvents.topic, key: key, value: example.bytes, headers: [KafkaHeader(name: "content-type", value: "application/cloudevents+json")]))
            poisonPositions[position] = (key, example.bytes)
        }

        let events = try await readTopic(BookshelfEvents.topic, count: created.count * 2 + poison.count, broker: broker, logger: logger)
        var produced: [String: JSONValue] = [:]
        for record in events where poisonPositions[record.position] == nil {
            contracts.checkEvent(record, into: &report)
            if let event = try? JSONValue(parsing: record.value), let id = event["data"]?["id"]?.string, event["type"]?.string == BookshelfEvents.bookAdded {
                produced[id] = event["data"]
            }
        }
        // The book.added data is the request that caused it, plus the id the server assigned; the year is
        // written as a string (v3), the one sent or the integer sent written out.
        for book in created {
            let data = produced[book.id]
            for (name, sent) in book.request.members {
                let value = name == "published" ? sent.int.map { JSONValue.string(String($0)) } ?? sent : sent
                report.check("new-book", data?[name] == value, Finding(contract: "contracts/rest/new-book-request/v2/new-book-request.schema.json", pointer: "/properties/\(name)", instance: "/data/\(name)", message: "book.added for \(book.id) carries \(data?[name]?.serialized() ?? "nothing") for \(name), the request sent \(value.serialized())"))
            }
        }
        report.check("new-book", created.count == requests.count - 1, Finding(contract: "contracts/openapi.json", pointer: "/paths/~1bookshelf~1books/post", instance: "", message: "a retry with the same Idempotency-Key must not add a second book (\(created.count) books from \(requests.count) requests)"))

        let deadLetters = try await readTopic(BookshelfEvents.deadLetterTopic, count: poison.count * consumers.count, broker: broker, logger: logger)
        for record in deadLetters {
            checkDeadLetter(record, originals: poisonPositions, into: &report)
        }
        report.check("dead letters", deadLetters.count == poison.count * consumers.count, Finding(contract: ContractSet.asyncAPIFile, pointer: "/channels/deadletter", instance: "", message: "\(deadLetters.count) dead letters for \(poison.count) unreadable records and \(consumers.count) consumers"))

        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }

    /// A dead letter: on the operation's topic, headers valid, key and value the original's byte for byte.
    static func checkDeadLetter(_ record: KafkaRecord, originals: [RecordPosition: (key: String, value: [UInt8])], into report: inout Report) {
        let contracts = ContractSet.shared
        let at = "dead letter \(record.position)"
        let service = record.header("dlq-consumer")?.stringValue ?? record.header(DeadLetterPublisher.Header.consumer)?.stringValue ?? "unknown consumer"
        report.tallies[service, default: Report.Tally()].produced += 1
        guard let operation = contracts.operations(.send, of: service).first(where: { $0.topic == record.position.topic }),
              let message = operation.messages.first else {
            report.check(service, [Finding(contract: ContractSet.asyncAPIFile, pointer: "/operations", instance: "", message: "\(at): \(service) sends to \(record.position.topic), but no send operation of \(service) declares it")])
            return
        }
        report.cover("send", operation.id, message.id)
        contracts.checkHeaders(record, message: message, service: service, at: at, into: &report)
        let position = record.header("dlq-original-partition").flatMap { $0.stringValue }.flatMap(Int32.init).flatMap { partition in
            record.header("dlq-original-offset").flatMap { $0.stringValue }.flatMap(Int64.init).map { RecordPosition(topic: record.header("dlq-original-topic")?.stringValue ?? "", partition: partition, offset: $0) }
        }
        let original = position.flatMap { originals[$0] }
        report.check(service, original != nil, Finding(contract: "contracts/deadletter/headers.schema.json", pointer: "/properties", instance: "", message: "\(at): its dlq-original-* headers name no record this suite produced"))
        report.check(service, original == nil || record.value == original!.value, Finding(contract: ContractSet.asyncAPIFile, pointer: message.pointer + "/payload", instance: "", message: "\(at): the value is not the original record's value byte for byte"))
        report.check(service, original == nil || record.keyString == original!.key, Finding(contract: "contracts/deadletter/headers.schema.json", pointer: "/description", instance: "", message: "\(at): the key is \(record.keyString ?? "(none)"), not the original record's key \(original?.key ?? "-")"))
    }

    /// The first `count` records of `topic`, or fewer if no more arrive within a few seconds.
    static func readTopic(_ topic: String, count: Int, broker: EmbeddedBroker, logger: Logger) async throws -> [KafkaRecord] {
        let consumer = try KafkaConsumer(configuration: .init(bootstrapServers: broker.bootstrapServers, topics: [topic], mode: .replay, name: "contract-reader-\(topic)"), logger: logger)
        let watchdog = Task {
            try await Task.sleep(for: .seconds(10))
            await consumer.shutdown()
        }
        var records: [KafkaRecord] = []
        for await record in consumer.records {
            records.append(record)
            if records.count >= count { break }
        }
        watchdog.cancel()
        await consumer.shutdown()
        return records
    }
}

@Suite struct ProducerContractTests {
    @Test("new-book, book-read and the dead-letter path write what asyncapi.json's send operations declare")
    func producersFollowTheirSendOperations() async {
        let report = await ProducerPhase.report.value
        for finding in report.findings { Issue.record(Comment(rawValue: finding.description)) }
        #expect(!report.covered.isEmpty)
    }
}
