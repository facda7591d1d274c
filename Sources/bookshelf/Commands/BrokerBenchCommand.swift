import ArgumentParser
import BookshelfJSON
import Contracts
import Foundation
import Kafka
import Logging

/// `bookshelf broker bench`: the Swift side of `make bench-kafka` (scripts/bench-kafka.sh runs the C side
/// on the same broker). Prints one line, "<mode> <events> <seconds> <events/s>", like scripts/bench-kafka.c.
struct BrokerBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the Kafka layer: acknowledged produce or validated replay events/s (for make bench-kafka).",
        shouldDisplay: false)

    enum Mode: String, ExpressibleByArgument {
        case produce, replay
    }

    @Argument(help: "produce: validate, encode and send book.added events and await every acknowledgement; replay: read, validate and decode every event from the beginning.")
    var mode: Mode

    @Option(help: "bootstrap.servers of the broker.")
    var bootstrapServers: String

    @Option(help: "produce: events to send.")
    var count: Int = 50_000

    @Option(help: "produce: sends in flight at once.")
    var inFlight: Int = 10_000

    @Option(help: "Topic to produce to or replay.")
    var topic: String = EventNames.eventsTopic

    @Option(help: "The contracts folder (default: found from the working directory).")
    var contracts: String?

    func run() async throws {
        var logger = Logger(label: "bookshelf.bench")
        logger.logLevel = .error
        let registry = try ContractsLocation.load(flag: contracts)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: bootstrapServers, clientID: "bench"), logger: logger)
        let clock = ContinuousClock()
        switch mode {
        case .produce:
            let events = EventProducer(producer: producer, registry: registry, topic: topic)
            guard let schema = registry.newestVersion(of: EventNames.bookAdded) else { throw ValidationError("no book.added contract") }
            let prepared = (0..<count).map { index in
                let id = UUID().uuidString.lowercased()
                return CloudEvent(
                    source: EventNames.newBookSource, type: EventNames.bookAdded, dataschema: schema.id, subject: id,
                    data: ["id": .string(id), "title": .string("Book \(index)"), "author": "Ursula K. Le Guin", "published": 1969])
            }
            let started = clock.now
            let acknowledged = try await withThrowingTaskGroup(of: Void.self) { group in
                var done = 0
                for (index, event) in prepared.enumerated() {
                    if index >= inFlight {
                        try await group.next()
                        done += 1
                    }
                    group.addTask { _ = try await events.send(event, key: event.subject!) }
                }
                for try await _ in group { done += 1 }
                return done
            }
            report("produce", acknowledged, clock.now - started)
        case .replay:
            let started = clock.now
            let consumer = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(bootstrapServers: bootstrapServers, topics: [topic], mode: .replay, name: "bench"),
                logger: logger)
            let events = EventConsumer(
                consumer: consumer, registry: registry,
                deadLetters: DeadLetterPublisher(producer: producer, consumer: "bench", logger: logger))
            let reader = Task {
                var seen = 0
                for await _ in events.events { seen += 1 }
                return seen
            }
            _ = await events.caughtUp()
            let elapsed = clock.now - started
            await consumer.shutdown()
            report("replay", await reader.value, elapsed)
        }
        await producer.shutdown()
    }

    private func report(_ mode: String, _ events: Int, _ elapsed: Duration) {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("\(mode) \(events) \(String(format: "%.3f", seconds)) \(Int((Double(events) / seconds).rounded()))")
    }
}
