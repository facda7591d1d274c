import ArgumentParser
import FoundationEssentials
import Glibc
import BookshelfApp
import BookshelfKafka
import Logging
import BookshelfServiceKit
import Stack

/// `bookshelf up`: the whole system on one machine, as children of this process.
struct UpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start the embedded stack: the broker and the five services, gateway on http://127.0.0.1:8000.",
        discussion: """
            Starts `bookshelf broker`, then new-book, book-read, list-books and last-read, then the gateway \
            (static discovery), each as a child process, waiting for every /health/ready. Prints a table of \
            the addresses once everything is ready, and each child's output prefixed with its name.

            A service that exits is started again with the same command line (it rebuilds its state from \
            the log), up to --restart-limit times a minute; the broker is not (its log lives in its memory), \
            so its exit ends the stack. SIGINT or SIGTERM stops the gateway, the services, then the broker; \
            a second one kills what is left. Exits 0 after a requested stop, 1 when a child failed to start, \
            kept dying or the broker died (the message names it).

            With --broker (or BOOKSHELF_BROKER) the services use that Kafka cluster instead, and no embedded \
            broker is started; its topics bookshelf.events and bookshelf.deadletter must exist. \
            --kafka-config (or BOOKSHELF_KAFKA_CONFIG) passes librdkafka properties to every service's \
            clients (SASL, TLS, tuning; see docs/kafka.md); a property librdkafka refuses stops up before \
            anything starts.
            """
    )

    @Option(help: ArgumentHelp(
        "Write the addresses and pids as JSON to this file once ready, again after a restart; removed on exit. Env: BOOKSHELF_STATE_FILE.",
        valueName: "file"
    ))
    var stateFile: String?

    @Option(help: "Add this to every port (8000, 8080-8084), to run a second stack beside the first. Env: BOOKSHELF_PORT_OFFSET. (default: 0)")
    var portOffset: Int?

    @Option(help: "Seconds each child may take to become ready. Env: BOOKSHELF_READY_TIMEOUT. (default: 60)")
    var readyTimeout: Int?

    @Option(help: "Restarts allowed per service within a minute before up gives up. Env: BOOKSHELF_RESTART_LIMIT. (default: 5)")
    var restartLimit: Int?

    @Option(help: ArgumentHelp(
        "Use this Kafka cluster (bootstrap servers) instead of starting the embedded broker. Env: BOOKSHELF_BROKER. (default: the embedded broker)",
        valueName: "host:port[,host:port]"))
    var broker: String?

    @Option(help: ArgumentHelp(
        "Extra librdkafka properties for every service's Kafka clients, as the services' --kafka-config takes them. Env: BOOKSHELF_KAFKA_CONFIG.",
        valueName: "properties"))
    var kafkaConfig: String?

    /// Fills what the flags left open from the environment, then the defaults, so that a bad variable
    /// is a usage error like a bad flag.
    mutating func validate() throws {
        let settings = Settings.bookshelf
        stateFile = settings.text("STATE_FILE", flag: stateFile)
        portOffset = try settings.get(
            "PORT_OFFSET", flag: portOffset, named: "--port-offset",
            expected: "a number from 0 to \(65535 - BookshelfServices.highestPort), so that every port stays a port",
            where: (0...(65535 - BookshelfServices.highestPort)).contains
        ) ?? 0
        readyTimeout = try settings.get("READY_TIMEOUT", flag: readyTimeout, named: "--ready-timeout", expected: "a whole number of seconds, at least 1", where: { $0 > 0 }) ?? 60
        restartLimit = try settings.get("RESTART_LIMIT", flag: restartLimit, named: "--restart-limit", expected: "a whole number, 0 or more", where: { $0 >= 0 }) ?? 5
        broker = settings.text("BROKER", flag: broker)
        // Checked here, once, so that a refused property stops up before any child starts.
        _ = try ServiceOptions.checkedKafkaProperties(flag: kafkaConfig, settings: settings)
    }

    func run() throws {
        guard let portOffset, let readyTimeout, let restartLimit else { preconditionFailure("validate() resolves every setting") }
        let stateFile = self.stateFile
        // The children inherit the environment: the properties (maybe secrets) stay off their command lines.
        if let kafkaConfig { setenv(Settings.bookshelf.variable("KAFKA_CONFIG"), kafkaConfig, 1) }

        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let logger = Logger(label: "bookshelf.up")
        let stack = BookshelfStack(
            executable: Self.ownExecutable(),
            portOffset: portOffset,
            restartLimit: restartLimit,
            readyTimeout: .seconds(readyTimeout),
            externalBroker: broker
        )
        let relay = OutputRelay(names: stack.plan.stages.joined().map(\.name))
        let supervisor = try Supervisor(plan: stack.plan, logger: logger, output: relay.write) { event throws(StackError) in
            switch event {
            case .ready(let snapshot):
                relay.print("\n" + stack.table(of: snapshot) + "\n\nThe gateway is \(stack.url(of: BookshelfStack.gateway)). Ctrl-C stops everything.\n")
                try stateFile.map { path throws(StackError) in try stack.state(of: snapshot).write(to: path) }
            case .restarted(_, let snapshot):
                try stateFile.map { path throws(StackError) in try stack.state(of: snapshot).write(to: path) }
            }
        }
        let forwarding = supervisor.stopHandle.forwardTerminationSignals()
        defer {
            withExtendedLifetime(forwarding) {}
            if let stateFile { try? FileManager.default.removeItem(atPath: stateFile) }
        }
        do {
            try supervisor.run()
        } catch {
            relay.error("bookshelf up: \(error.message)")
            throw ExitCode.failure
        }
    }

    /// The children run this very binary, so `up` from a debug build starts debug services.
    private static func ownExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// Writes the children's lines as `name  | line` on the stream they came from, names aligned.
private struct OutputRelay: Sendable {
    let width: Int

    init(names: [String]) {
        width = names.map(\.count).max() ?? 0
    }

    func write(child: String, stream: Supervisor.Stream, line: String) {
        let padded = child + String(repeating: " ", count: width - child.count)
        emit("\(padded) | \(line)\n", to: stream == .stdout ? 1 : 2)
    }

    func print(_ text: String) {
        emit(text, to: 1)
    }

    func error(_ text: String) {
        emit(text + "\n", to: 2)
    }

    private func emit(_ text: String, to fd: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }
}
