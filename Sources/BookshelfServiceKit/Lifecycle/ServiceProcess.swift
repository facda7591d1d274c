import ArgumentParser
import BookshelfContracts
import BookshelfDiscovery
import BookshelfHTTPClient
import BookshelfKafka
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// Everything one service process needs, built from its configuration: logs, metrics, readiness, the
/// router with the shared endpoints, and the Kafka producer, replay consumer and dead-letter sink.
public final class ServiceProcess {
    public let configuration: ServiceConfiguration
    public let logger: Logger
    public let metrics: ServiceMetrics
    public let readiness = Readiness()
    public let routes: ServiceRoutes
    public let producer: KafkaProducer
    public let publisher: KafkaEventPublisher
    /// contracts/ as `--contracts` names it: what every event produced and consumed is checked against.
    public let contracts: ContractRegistry
    private var consumers: [KafkaConsumer] = []
    /// `--kafka-config` / `<PREFIX>_KAFKA_CONFIG`, applied to every Kafka client of the process.
    public let kafkaProperties: KafkaProperties
    /// The topics this process produces to, replays and dead-letters into.
    public let events: EventStream
    /// The read-your-writes headers of the app; every projection host this process makes answers with them.
    public let positionHeaders: PositionHeaders

    /// Resolves the options, installs the log handler and the Prometheus metrics backend (process-wide, so
    /// call once per process), and creates the producer. Kafka connections are made lazily by librdkafka,
    /// which keeps retrying an absent broker, so start-up never depends on the broker being there first.
    /// `events` and `positionHeaders` are the app's names for its topics and read-your-writes headers.
    public init(options: ServiceOptions, defaults: ServiceDefaults, events: EventStream, positionHeaders: PositionHeaders) throws {
        self.events = events
        self.positionHeaders = positionHeaders
        let configuration = try options.resolve(defaults: defaults)
        self.configuration = configuration
        LogFormat.bootstrap(configuration.logFormat, level: configuration.logLevel)
        // The app's name, then the service's: `bookshelf.newbook` under `BOOKSHELF_`, `reviews.reviews` under `REVIEWS_`.
        var logger = Logger(label: defaults.environmentPrefix.lowercased().replacing("_", with: ".") + defaults.name)
        logger.logLevel = configuration.logLevel
        logger[metadataKey: "service"] = .string(configuration.id)
        self.logger = logger
        let settings = Settings(prefix: defaults.environmentPrefix)
        contracts = try ContractsLocation.load(flag: configuration.contracts, environmentVariable: settings.variable("CONTRACTS"))
        let kafkaProperties = try ServiceOptions.checkedKafkaProperties(flag: options.kafkaConfig, settings: settings)
        self.kafkaProperties = kafkaProperties
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        metrics = ServiceMetrics(namespace: defaults.metricsNamespace, registry: registry)
        routes = ServiceRoutes(metrics: metrics, readiness: readiness, problemNamespace: defaults.problemNamespace)
        producer = try KafkaProducer(
            // Five seconds to acknowledge: a write then answers 503 well before a gateway in front gives up (10 s).
            configuration: KafkaProducerConfiguration(
                bootstrapServers: configuration.broker, clientID: configuration.id, messageTimeout: .seconds(5), properties: kafkaProperties.values),
            logger: logger
        )
        publisher = KafkaEventPublisher(producer: producer, topic: events.topic)
    }

    /// A projection replaying the events topic from the start; its readiness condition gates
    /// `/health/ready`. `onCaughtUp` runs once replay has caught up (see `ProjectionHost`).
    public func projection<P: Projection>(_ type: P.Type, onCaughtUp: @escaping @Sendable () -> Void = {}) throws -> ProjectionHost<P> {
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                bootstrapServers: configuration.broker, topics: [events.topic], mode: .replay, name: configuration.id,
                properties: kafkaProperties.values
            ),
            logger: logger
        )
        consumers.append(consumer)
        // contracts/deadletter/headers.schema.json: `dlq-consumer` is the service name, shared by its replicas.
        let deadLetters = KafkaDeadLetterSink(
            publisher: DeadLetterPublisher(producer: producer, consumer: configuration.name, topic: events.deadLetterTopic, logger: logger),
            bootstrapServers: configuration.broker, properties: kafkaProperties.values, topic: events.topic, logger: logger
        )
        return ProjectionHost<P>(
            consumer: configuration.id, source: KafkaEventSource(consumer: consumer), deadLetters: deadLetters, contracts: contracts,
            readiness: readiness, metrics: metrics, positionHeaders: positionHeaders, logger: logger, onCaughtUp: onCaughtUp
        )
    }

    /// Runs until SIGTERM/SIGINT. With `--consul`, registers the instance once `/health/ready` says yes.
    /// Shutdown runs in reverse order: the HTTP server stops taking requests, the Consul entry goes, the
    /// consumers close (ending their projections' loops), then the producer flushes.
    public func run(projections: [any Service]) async throws {
        var startup: Logger.Metadata = [
            "address": .string("\(configuration.host):\(configuration.port)"), "broker": .string(configuration.broker),
            "librdkafka": .string(LibRdKafka.version),
        ]
        if !kafkaProperties.isEmpty {
            // Names only: values may be secrets.
            startup["kafka.properties"] = .string(kafkaProperties.values.keys.sorted().joined(separator: ","))
        }
        logger.info("starting", metadata: startup)
        if !LibRdKafka.isSupported {
            logger.warning("librdkafka \(LibRdKafka.version) is older than \(LibRdKafka.minimumVersion): brokers that send tagged fields (Tansu, recent Kafka) fail its first request with 'Read underflow'")
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: producer)]
        services += projections.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }
        services += consumers.map { .init(service: $0) }
        guard let consul = configuration.consul else {
            try await ServiceHost.run(configuration: configuration, routes: routes, services: services, logger: logger)
            return
        }
        let client = HTTPClient(configuration: .init(connectTimeout: .seconds(1), timeout: .seconds(5)), logger: logger)
        let readiness = readiness
        services.append(.init(service: ConsulRegistration(
            agent: try ConsulAgent(url: consul, client: client),
            registration: .init(
                id: configuration.id, name: configuration.name, tags: configuration.tags,
                address: configuration.advertiseAddress, port: configuration.port
            ),
            logger: logger,
            whenReady: { try await readiness.waitUntilReady() }
        )))
        do {
            try await ServiceHost.run(configuration: configuration, routes: routes, services: services, logger: logger)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }
}
