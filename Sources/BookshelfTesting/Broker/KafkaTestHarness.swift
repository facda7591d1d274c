import BookshelfContracts
import BookshelfKafka
import BookshelfServiceKit
import Logging
import ServiceLifecycle

/// A service's Kafka wiring on a test's broker, made as `ServiceProcess` makes it (a producer and its
/// publisher, a replaying consumer and a dead-letter sink per projection, one readiness and one metrics
/// registry), without what a test cannot have twice in a process: `ServiceProcess` installs the log handler
/// and the metrics backend, process-wide.
///
/// ```swift
/// try await withEmbeddedBroker(topics: ["reviews.events": 3, "reviews.deadletter": 1]) { broker in
///     let kafka = try KafkaTestHarness(bootstrapServers: broker.bootstrapServers, name: "reviews", events: …, positionHeaders: …, contracts: contracts)
///     let reviews = try kafka.projection(ReviewsByBook.self)
///     let routes = ServiceRoutes(metrics: kafka.metrics, readiness: kafka.readiness)
///     ReviewsService(reviews: reviews, publisher: kafka.publisher, contracts: contracts).addRoutes(to: routes)
///     try await kafka.run {
///         try await Application(router: routes).test(.router) { client in … }
///     }
/// }
/// ```
public final class KafkaTestHarness {
    public let readiness = Readiness()
    public let metrics: ServiceMetrics
    public let producer: KafkaProducer
    public let publisher: KafkaEventPublisher
    let bootstrapServers: String
    let name: String
    let events: EventStream
    let positionHeaders: PositionHeaders
    let contracts: ContractRegistry
    let logger: Logger
    private var hosts: [any Service] = []
    private var consumers: [KafkaConsumer] = []

    /// `name` is the service's: its consumers' group and its dead letters' `dlq-consumer`. `metricsNamespace`
    /// begins the names of `metrics` (`test_events_consumed_total` by default).
    public init(
        bootstrapServers: String, name: String, events: EventStream, positionHeaders: PositionHeaders, contracts: ContractRegistry,
        metricsNamespace: String = "test", logger: Logger = testLogger(label: "kafka-test-harness")
    ) throws(KafkaError) {
        metrics = ServiceMetrics(namespace: metricsNamespace)
        self.bootstrapServers = bootstrapServers
        self.name = name
        self.events = events
        self.positionHeaders = positionHeaders
        self.contracts = contracts
        self.logger = logger
        producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: bootstrapServers, clientID: name), logger: logger)
        publisher = KafkaEventPublisher(producer: producer, topic: events.topic)
    }

    /// A projection replaying the events topic from the start, run by `run(_:)`.
    public func projection<P: Projection>(_ type: P.Type) throws(KafkaError) -> ProjectionHost<P> {
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(bootstrapServers: bootstrapServers, topics: [events.topic], mode: .replay, name: "\(name)-\(consumers.count)"),
            logger: logger
        )
        consumers.append(consumer)
        let deadLetters = KafkaDeadLetterSink(
            publisher: DeadLetterPublisher(producer: producer, consumer: name, topic: events.deadLetterTopic, logger: logger),
            bootstrapServers: bootstrapServers, topic: events.topic, logger: logger
        )
        let host = ProjectionHost<P>(
            consumer: name, source: KafkaEventSource(consumer: consumer), deadLetters: deadLetters, contracts: contracts,
            readiness: readiness, metrics: metrics, positionHeaders: positionHeaders, logger: logger
        )
        hosts.append(host)
        return host
    }

    /// Runs the producer, the projections and their consumers, waits until every projection has caught up,
    /// runs `body`, then shuts them down in `ServiceProcess`'s order: consumers, projections, producer.
    public func run<Value>(_ body: () async throws -> Value) async throws -> Value {
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: producer)]
                + hosts.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }
                + consumers.map { .init(service: $0) },
            logger: logger
        ))
        let running = Task { try await group.run() }
        let outcome: Result<Value, any Error>
        do {
            try await readiness.waitUntilReady()
            outcome = .success(try await body())
        } catch {
            outcome = .failure(error)
        }
        await group.triggerGracefulShutdown()
        try await running.value
        return try outcome.get()
    }
}
