import ArgumentParser
import Dispatch
import FoundationEssentials
import Glibc
import BookshelfKafka
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

    @Option(help: "Number of brokers in the cluster. Env: BOOKSHELF_BROKER_COUNT.")
    var brokers: Int = Int(ProcessInfo.processInfo.environment["BOOKSHELF_BROKER_COUNT"] ?? "") ?? 1

    @Option(help: "Partitions of bookshelf.events (each holds at most 5 MiB in memory). Env: BOOKSHELF_BROKER_PARTITIONS.")
    var partitions: Int = Int(ProcessInfo.processInfo.environment["BOOKSHELF_BROKER_PARTITIONS"] ?? "") ?? 12

    @Option(help: "Listening port; only 0 (chosen by the system) is possible: librdkafka 2.0.2's mock cluster cannot bind a given port.")
    var port: Int = 0

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. Env: BOOKSHELF_LOG_LEVEL.")
    var logLevel: String = ProcessInfo.processInfo.environment["BOOKSHELF_LOG_LEVEL"] ?? "info"

    func validate() throws {
        guard brokers >= 1 else { throw ValidationError("--brokers must be at least 1") }
        guard partitions >= 1 else { throw ValidationError("--partitions must be at least 1") }
        guard port == 0 else {
            throw ValidationError("--port \(port): librdkafka 2.0.2's mock cluster always binds a port chosen by the system; use 0 and read the printed address")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "bookshelf.broker")
        let broker = try EmbeddedBroker(brokers: brokers, eventPartitions: partitions, logger: logger)
        let service = try EmbeddedBrokerService(
            broker: broker, watchedTopics: [EmbeddedBroker.eventsTopic, EmbeddedBroker.deadLetterTopic], logger: logger)

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
