import ArgumentParser
import BookshelfContracts
import BookshelfDomain
import BookshelfJSON
import BookshelfKafka
import BookshelfServiceKit
import FoundationEssentials
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// `bookshelf-bench kafka`: the Swift side of `make bench-kafka` (scripts/bench-kafka.sh runs the C side
/// on the same broker). Prints one line, "<mode> <events> <seconds> <events/s>", like scripts/bench-kafka.c.
/// The events layer times the code the services run: `EventCodec<BookEvent>` and `KafkaEventPublisher` as
/// new-book produces, `KafkaEventSource` and a `ProjectionHost` as a view replays.
struct BrokerBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka",
        abstract: "Measure the Kafka layer: acknowledged produce or validated replay events/s (for make bench-kafka).")

    enum Mode: String, ExpressibleByArgument {
        case produce, replay, decode, encode
    }

    @Argument(help: "produce: validate, encode and send book.added events and await every acknowledgement; replay: read, validate, decode and apply every event from the beginning, as a view does; decode: parse, validate and decode one record value --count times on one thread, with no broker (the per-event cost a replay pays); encode: validate and encode --count book.added events on one thread, with no broker (the per-event cost a produce pays).")
    var mode: Mode

    @Option(help: "bootstrap.servers of the broker (produce and replay).")
    var bootstrapServers: String?

    @Option(help: "produce and encode: events to send or encode; decode: times to decode.")
    var count: Int = 50_000

    @Option(help: "produce: records awaiting acknowledgement at once, sent in batches of 2,000 (default: the producer's queue capacity, as the C loop's).")
    var inFlight: Int = 100_000

    enum Layer: String, ExpressibleByArgument {
        /// The services' path: CloudEvents validated against the contracts on the way out and in.
        case events
        /// Records only: the librdkafka wrapper's own cost.
        case transport
    }

    @Option(help: "events: the services' codec, publisher and projection host; transport: records only.")
    var layer: Layer = .events

    @Option(help: "Topic to produce to or replay.")
    var topic: String = BookshelfEvents.topic

    @Option(help: "The contracts folder (default: found from the working directory).")
    var contracts: String?

    @Option(help: "decode: the file whose bytes are the record value (default: the book.added example the C loop sends).")
    var record: String?

    func validate() throws {
        if mode == .produce || mode == .replay { _ = try requiredBootstrapServers() }
    }

    private func requiredBootstrapServers() throws -> String {
        guard let bootstrapServers else { throw ValidationError("\(mode.rawValue) needs --bootstrap-servers") }
        return bootstrapServers
    }

    func run() async throws {
        let registry = try ContractsLocation.load(flag: contracts, environmentVariable: "BOOKSHELF_CONTRACTS")
        switch mode {
        case .produce: try await produce(registry, bootstrapServers: requiredBootstrapServers())
        case .replay: try await replay(registry, bootstrapServers: requiredBootstrapServers())
        case .decode: try decode(registry)
        case .encode: try encode(registry)
        }
    }

    private static var logger: Logger {
        var logger = Logger(label: "bookshelf.bench")
        logger.logLevel = .error
        return logger
    }

    /// `--count` book.added events sent in batches of 2,000, every acknowledgement awaited. The events layer
    /// encodes each event with new-book's codec as it sends it, through new-book's publisher.
    private func produce(_ registry: ContractRegistry, bootstrapServers: String) async throws {
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: bootstrapServers, clientID: "bench"), logger: Self.logger)
        let clock = ContinuousClock()
        let topic = self.topic
        let publisher = KafkaEventPublisher(producer: producer, topic: topic)
        let codec = EventCodec<BookEvent>(source: BookshelfEvents.newBookSource, contracts: registry)
        let events = bookAddedEvents()
        let layer = self.layer
        // The transport layer sends the events' JSON as ready-made records.
        let records = try (layer == .transport ? events[...] : events.prefix(1)).map { event in
            let record = try codec.record(event)
            return ProducerRecord(topic: topic, key: record.key, value: record.value,
                                  headers: [KafkaHeader(name: "content-type", value: CloudEvent.mediaType)])
        }
        let chunk = 2_000
        // Connection, producer id and topic metadata are set up by a first record outside the timing,
        // as the C loop does, so both measure steady-state throughput.
        _ = try await producer.send(records[0])
        let started = clock.now
        let cpuAtStart = ProcessCPUTime.now()
        // Batches of `chunk` records, up to `inFlight` records awaiting acknowledgement at once.
        let acknowledged = try await withThrowingTaskGroup(of: Int.self) { group in
            var done = 0
            for (number, start) in stride(from: 0, to: events.count, by: chunk).enumerated() {
                if number >= max(1, inFlight / chunk) { done += try await group.next() ?? 0 }
                let range = start..<min(start + chunk, events.count)
                switch layer {
                case .events:
                    let batch = Array(events[range])
                    group.addTask { try acknowledgedCount(await publisher.publish(contentsOf: batch.map { try codec.record($0) })) }
                case .transport:
                    let batch = Array(records[range])
                    group.addTask { try acknowledgedCount(await producer.send(contentsOf: batch)) }
                }
            }
            for try await count in group { done += count }
            return done
        }
        let elapsed = clock.now - started
        ProcessCPUTime.now().reportSince(cpuAtStart, events: acknowledged, mode: "produce")
        report("produce", acknowledged, elapsed)
        await producer.shutdown()
    }

    /// Every event of `--topic` from the beginning, timed from the consumer's creation until it has caught
    /// up. The events layer replays as a view does: a `ProjectionHost` over a `KafkaEventSource`, decoding
    /// with `EventCodec<BookEvent>` and applying to a projection that counts.
    private func replay(_ registry: ContractRegistry, bootstrapServers: String) async throws {
        let logger = Self.logger
        // For dead letters, which a valid topic does not have.
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: bootstrapServers, clientID: "bench"), logger: logger)
        let clock = ContinuousClock()
        let started = clock.now
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(bootstrapServers: bootstrapServers, topics: [topic], mode: .replay, name: "bench"),
            logger: logger)
        switch layer {
        case .events:
            let readiness = Readiness()
            let host = ProjectionHost<ReplayCount>(
                consumer: "bench", source: KafkaEventSource(consumer: consumer),
                deadLetters: KafkaDeadLetterSink(
                    publisher: DeadLetterPublisher(producer: producer, consumer: "bench", topic: BookshelfEvents.deadLetterTopic, logger: logger),
                    bootstrapServers: bootstrapServers, topic: topic, logger: logger),
                contracts: registry, readiness: readiness, metrics: ServiceMetrics(namespace: "bookshelf"), positionHeaders: BookshelfEvents.positionHeaders,
                logger: logger)
            let running = Task { try await host.run() }
            try await readiness.waitUntilReady()
            let elapsed = clock.now - started
            await consumer.shutdown()
            running.cancel()
            try? await running.value
            report("replay", host.read { count, _ in count.applied }, elapsed)
        case .transport:
            let reader = Task {
                var seen = 0
                var first: ContinuousClock.Instant?
                for await _ in consumer.records {
                    if seen == 0 { first = clock.now }
                    seen += 1
                }
                return (seen, first)
            }
            _ = await consumer.caughtUp()
            let elapsed = clock.now - started
            await consumer.shutdown()
            let (seen, first) = await reader.value
            if let first {
                printError("replay: first record after \(first - started), caught up after \(elapsed)")
            }
            report("replay", seen, elapsed)
        }
        await producer.shutdown()
    }

    /// `--count` decodes of one record value on this thread, as a replay's decoding tasks do each record.
    private func decode(_ registry: ContractRegistry) throws {
        let path = record ?? registry.folder + "/events/bookshelf.book.added/examples/valid/v1-dune.json"
        guard let text = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        // Compact, as a producer writes it.
        let value = try JSONValue(parsing: text).serializedBytes()
        let codec = EventCodec<BookEvent>(contracts: registry)
        _ = try codec.decode(value)
        try timedOnThisThread("decode", doing: "parse, validate and decode", bytes: value.count) {
            for _ in 0..<count { _ = try codec.decode(value) }
        }
    }

    /// `--count` book.added events, each with an id of its own, as new-book makes them.
    private func bookAddedEvents() -> [BookEvent] {
        let now = Date()
        return (0..<count).map { index in
            let book = Book(id: UUID(), title: "Book \(index)", author: "Ursula K. Le Guin", published: "1969")
            return BookEvent(id: UUID(), time: now, kind: .added(book, idempotencyKey: nil))
        }
    }

    /// Validates and encodes `--count` events on this thread with new-book's codec, as a produce's sending
    /// task does each event.
    private func encode(_ registry: ContractRegistry) throws {
        let events = bookAddedEvents()
        let codec = EventCodec<BookEvent>(source: BookshelfEvents.newBookSource, contracts: registry)
        let bytes = try codec.encode(events[0]).count
        try timedOnThisThread("encode", doing: "validate and encode", bytes: bytes) {
            for event in events { _ = try codec.encode(event) }
        }
    }

    /// Runs `body` (`--count` times the work) and prints its thread CPU time per event on standard error, as
    /// "<mode>: <work> of a <bytes>-byte event on one thread: <ns> ns of CPU per event", then the usual line.
    private func timedOnThisThread(_ mode: String, doing work: String, bytes: Int, _ body: () throws -> Void) rethrows {
        let started = ContinuousClock.now
        let cpu = threadCPUTime()
        try body()
        let seconds = threadCPUTime() - cpu
        let elapsed = ContinuousClock.now - started
        let nanoseconds = Int((seconds / Double(count) * 1e9).rounded())
        printError("\(mode): \(work) of a \(bytes)-byte event on one thread: \(nanoseconds) ns of CPU per event")
        report(mode, count, elapsed)
    }

    /// Every record of the batch must have been acknowledged; the first failure fails the benchmark.
    private func acknowledgedCount<Position, Failure: Error>(_ results: [Result<Position, Failure>]) throws -> Int {
        for result in results { _ = try result.get() }
        return results.count
    }

    private func report(_ mode: String, _ events: Int, _ elapsed: Duration) {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let milliseconds = Int((seconds * 1000).rounded())
        let fraction = String(milliseconds % 1000)
        let shown = "\(milliseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
        print("\(mode) \(events) \(shown) \(Int((Double(events) / seconds).rounded()))")
    }
}

/// What a replay applies: every event, counted, so the host does a view's work but the projection's own
/// cost stays out of the figure.
private struct ReplayCount: Projection {
    var applied = 0

    mutating func apply(_ event: BookEvent) -> ApplyOutcome {
        applied += 1
        return .applied
    }
}

/// User and system CPU time of the whole process (every thread, librdkafka's included): what an event
/// costs the machine, which a noisy shared machine distorts far less than events/s.
private struct ProcessCPUTime {
    var user: Double
    var system: Double

    static func now() -> ProcessCPUTime {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return ProcessCPUTime(user: seconds(usage.ru_utime), system: seconds(usage.ru_stime))
    }

    /// On standard error, so that standard output keeps the one line scripts/bench-kafka.sh parses.
    func reportSince(_ start: ProcessCPUTime, events: Int, mode: String) {
        let user = self.user - start.user, system = self.system - start.system
        let perEvent = events > 0 ? (user + system) / Double(events) * 1e6 : 0
        printError("\(mode): cpu \(Self.format(user + system)) s (user \(Self.format(user)), sys \(Self.format(system))), \(Self.format(perEvent)) µs/event")
    }

    private static func format(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = String(hundredths % 100)
        return "\(hundredths / 100)." + String(repeating: "0", count: 2 - fraction.count) + fraction
    }
}
