import ArgumentParser
import Dispatch
import FoundationEssentials
import Glibc
import BookshelfDomain
import BookshelfKafka
import BookshelfServiceKit
import Logging
import ServiceLifecycle

/// `bookshelf broker`: librdkafka's in-memory mock cluster with Bookshelf's topics, for development and
/// tests. Contract with `bookshelf up` and the E2E fault tests: stdout gets exactly one line,
/// `broker listening on HOST:PORT`; SIGUSR1 takes every broker down, SIGUSR2 brings them back;
/// SIGINT/SIGTERM stop it cleanly. Logs go to stderr.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run the embedded Kafka broker (in memory, bounded: for development and tests).",
        discussion: """
            Creates the topics bookshelf.events and bookshelf.deadletter and prints \
            "broker listening on HOST:PORT". SIGUSR1 takes every broker down, SIGUSR2 brings them back up. \
            Each partition keeps at most 5 MiB; older records are dropped (a warning is logged when that happens).
            """)

    @Option(help: "Number of brokers in the cluster. Env: BOOKSHELF_BROKER_COUNT. (default: 1)")
    var brokers: Int?

    @Option(help: "Partitions of bookshelf.events (each holds at most 5 MiB in memory). Env: BOOKSHELF_BROKER_PARTITIONS. (default: 12)")
    var partitions: Int?

    @Option(name: .customLong("topic"), help: ArgumentHelp(
        "Another topic to create, NAME or NAME:PARTITIONS (default 1 partition); repeatable. For another app's topics, e.g. --topic reviews.events:3 --topic reviews.deadletter.",
        valueName: "name[:partitions]"))
    var topics: [String] = []

    @Option(help: "Listening port; only 0 (chosen by the system) is possible: librdkafka 2.0.2's mock cluster cannot bind a given port.")
    var port: Int = 0

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. Env: BOOKSHELF_LOG_LEVEL. (default: info)")
    var logLevel: String?

    /// `NAME` or `NAME:PARTITIONS`, as --topic takes it.
    static func topic(_ text: String) -> (name: String, partitions: Int)? {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let name = parts.first, !name.isEmpty else { return nil }
        guard parts.count == 2 else { return (String(name), 1) }
        guard let partitions = Int(parts[1]), partitions >= 1 else { return nil }
        return (String(name), partitions)
    }

    /// Fills what the flags left open from the environment, then the defaults, so that a bad variable is a
    /// usage error like a bad flag.
    mutating func validate() throws {
        let settings = Settings.bookshelf
        brokers = try settings.get("BROKER_COUNT", flag: brokers, named: "--brokers", expected: "a whole number, at least 1", where: { $0 >= 1 }) ?? 1
        partitions = try settings.get("BROKER_PARTITIONS", flag: partitions, named: "--partitions", expected: "a whole number, at least 1", where: { $0 >= 1 }) ?? 12
        logLevel = try settings.get(
            "LOG_LEVEL", flag: logLevel, named: "--log-level", expected: "one of trace, debug, info, notice, warning, error, critical",
            where: { Logger.Level(rawValue: $0) != nil }
        ) ?? "info"
        for topic in topics where Self.topic(topic) == nil {
            throw ValidationError("--topic '\(topic)' is not NAME or NAME:PARTITIONS with at least one partition")
        }
        guard port == 0 else {
            throw ValidationError("--port \(port): librdkafka 2.0.2's mock cluster always binds a port chosen by the system; use 0 and read the printed address")
        }
    }

    func run() async throws {
        guard let brokers, let partitions, let level = logLevel.flatMap(Logger.Level.init(rawValue:)) else {
            preconditionFailure("validate() resolves every setting")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "bookshelf.broker")
        // The events spread over `partitions` (12 by default), so that no partition of a development
        // bookshelf reaches the mock's 5 MiB cap.
        let broker = try EmbeddedBroker(
            brokers: brokers, topics: [(BookshelfEvents.topic, partitions), (BookshelfEvents.deadLetterTopic, 1)] + topics.compactMap(Self.topic),
            logger: logger)
        let service = try EmbeddedBrokerService(
            broker: broker, watchedTopics: [BookshelfEvents.topic, BookshelfEvents.deadLetterTopic], logger: logger)

        let faults = [
            Self.onSignal(SIGUSR1) {
                logger.notice("SIGUSR1: taking every broker down")
                do { try broker.setAllBrokersDown() } catch { logger.error("\(error)") }
            },
            Self.onSignal(SIGUSR2) {
                logger.notice("SIGUSR2: bringing every broker back up")
                do { try broker.setAllBrokersUp() } catch { logger.error("\(error)") }
            },
        ]
        defer { faults.forEach { $0.cancel() } }

        logger.info("embedded broker started", metadata: [
            "bootstrap.servers": "\(broker.bootstrapServers)", "brokers": "\(brokers)", "partitions": "\(partitions)",
            "librdkafka": "\(LibRdKafka.version)",
        ])
        // Written unbuffered: the parent process waits for this line on a pipe.
        StandardStream.output.write("broker listening on \(broker.firstBrokerAddress)\n")

        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    private static func onSignal(_ number: Int32, _ handler: @escaping @Sendable () -> Void) -> any DispatchSourceSignal {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler(handler: handler)
        source.resume()
        return source
    }
}
