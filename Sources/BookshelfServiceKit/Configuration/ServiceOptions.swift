import ArgumentParser
import FoundationEssentials
import BookshelfKafka
import Logging

/// The options every service shares. Each flag falls back to an environment variable, then to a documented
/// default; `resolve(defaults:)` applies that order in one place so the flags stay the single source of truth.
public struct ServiceOptions: ParsableArguments, Sendable {
    @Option(help: "Port to listen on. Env BOOKSHELF_PORT. Default: the service's port from docs/architecture.md.")
    public var port: Int?

    @Option(help: "Address to bind. Env BOOKSHELF_HOST. Default 127.0.0.1.")
    public var host: String?

    @Option(help: "Kafka bootstrap servers, HOST:PORT[,HOST:PORT]. Env BOOKSHELF_BROKER. Default 127.0.0.1:9092.")
    public var broker: String?

    @Option(help: ArgumentHelp(
        "Extra librdkafka properties for every Kafka client, NAME=VALUE,NAME=VALUE (\\, is a comma in a value), or one per line, or @FILE. Env BOOKSHELF_KAFKA_CONFIG. Default: none. See docs/kafka.md.",
        valueName: "properties"))
    public var kafkaConfig: String?

    @Option(help: "Consul agent URL; when set the service registers itself once ready. Env BOOKSHELF_CONSUL. Default: none.")
    public var consul: String?

    @Option(help: "Consul service name. Env BOOKSHELF_SERVICE_NAME. Default: the service's name from docs/architecture.md.")
    public var name: String?

    @Option(help: "Consul service id. Env BOOKSHELF_SERVICE_ID. Default NAME-HOST-PORT.")
    public var id: String?

    @Option(help: "Consul tags, comma-separated. Env BOOKSHELF_SERVICE_TAGS. Default: the service's tags.")
    public var tags: String?

    @Option(help: "Address others reach this service at. Env BOOKSHELF_ADVERTISE_ADDRESS. Default: the bind address, or 127.0.0.1 when binding 0.0.0.0.")
    public var advertiseAddress: String?

    @Option(help: "Folder of contracts (JSON Schemas). Env BOOKSHELF_CONTRACTS. Default ./contracts.")
    public var contracts: String?

    @Option(help: "Log format: text or json (JSON Lines). Env BOOKSHELF_LOG_FORMAT. Default text.")
    public var logFormat: LogFormat?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. Env BOOKSHELF_LOG_LEVEL. Default info.")
    public var logLevel: String?

    public init() {}

    /// `--kafka-config`, else `BOOKSHELF_KAFKA_CONFIG`, parsed (not yet checked by librdkafka: see
    /// ``KafkaProperties/validate(source:)``). A bad text is a usage error naming its source.
    public func kafkaProperties(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> KafkaProperties {
        try Self.kafkaProperties(flag: kafkaConfig, environment: environment)
    }

    /// The one reader of the setting, shared with `bookshelf up`: `@FILE` reads FILE's text (one property
    /// per line, or comma-separated as inline).
    public static func kafkaProperties(flag: String?, environment: [String: String]) throws -> KafkaProperties {
        let source: String
        let text: String
        if let flag {
            (source, text) = ("--kafka-config", flag)
        } else if let value = environment["BOOKSHELF_KAFKA_CONFIG"], !value.isEmpty {
            (source, text) = ("BOOKSHELF_KAFKA_CONFIG", value)
        } else {
            return KafkaProperties()
        }
        do {
            guard text.hasPrefix("@") else { return try KafkaProperties(parsing: text, source: source) }
            let path = String(text.dropFirst())
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("\(source): cannot read the file \(path)")
            }
            guard let fileText = String(validating: data, as: UTF8.self) else {
                throw ValidationError("\(source): the file \(path) is not UTF-8 text")
            }
            return try KafkaProperties(parsing: fileText, source: "\(source) (\(path))")
        } catch let error as KafkaError {
            throw ValidationError(error.message)
        }
    }

    /// Flags first, then the environment, then `defaults`.
    public func resolve(
        defaults: ServiceDefaults,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ServiceConfiguration {
        func pick(_ flag: String?, _ variable: String) -> String? {
            if let flag { return flag }
            if let value = environment[variable], !value.isEmpty { return value }
            return nil
        }
        let portText = port.map(String.init) ?? pick(nil, "BOOKSHELF_PORT")
        let resolvedPort: Int
        if let portText {
            guard let value = Int(portText), (0...65535).contains(value) else {
                throw ValidationError("port '\(portText)' is not a number from 0 to 65535 (from --port or BOOKSHELF_PORT)")
            }
            resolvedPort = value
        } else {
            resolvedPort = defaults.port
        }
        let formatText = logFormat?.rawValue ?? pick(nil, "BOOKSHELF_LOG_FORMAT") ?? LogFormat.text.rawValue
        guard let format = LogFormat(rawValue: formatText) else {
            throw ValidationError("log format '\(formatText)' is neither 'text' nor 'json' (from BOOKSHELF_LOG_FORMAT)")
        }
        let levelText = pick(logLevel, "BOOKSHELF_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText) else {
            throw ValidationError("log level '\(levelText)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        let host = pick(host, "BOOKSHELF_HOST") ?? "127.0.0.1"
        let name = pick(name, "BOOKSHELF_SERVICE_NAME") ?? defaults.name
        let advertise = pick(advertiseAddress, "BOOKSHELF_ADVERTISE_ADDRESS") ?? (host == "0.0.0.0" ? "127.0.0.1" : host)
        let tags = pick(tags, "BOOKSHELF_SERVICE_TAGS")
            .map { $0.split(separator: ",").map { $0.trimmingSpacesAndTabs() }.filter { !$0.isEmpty } }
            ?? defaults.tags
        return ServiceConfiguration(
            name: name,
            id: pick(id, "BOOKSHELF_SERVICE_ID") ?? "\(name)-\(advertise)-\(resolvedPort)",
            tags: tags,
            host: host,
            port: resolvedPort,
            advertiseAddress: advertise,
            broker: pick(broker, "BOOKSHELF_BROKER") ?? "127.0.0.1:9092",
            consul: pick(consul, "BOOKSHELF_CONSUL"),
            contracts: pick(contracts, "BOOKSHELF_CONTRACTS") ?? "contracts",
            logFormat: format,
            logLevel: level
        )
    }
}

/// What a service brings to `ServiceOptions`: its Consul name, its tags and its port (docs/architecture.md).
public struct ServiceDefaults: Sendable {
    public var name: String
    public var tags: [String]
    public var port: Int

    public init(name: String, tags: [String], port: Int) {
        self.name = name
        self.tags = tags
        self.port = port
    }
}

/// The resolved configuration of one service instance.
public struct ServiceConfiguration: Sendable, Equatable {
    public var name: String
    public var id: String
    public var tags: [String]
    public var host: String
    public var port: Int
    public var advertiseAddress: String
    public var broker: String
    public var consul: String?
    public var contracts: String
    public var logFormat: LogFormat
    public var logLevel: Logger.Level
    /// A connection that sends nothing for this long is closed, so idle or stalled clients cannot hold
    /// connections (and their memory) for ever. A minute, like common reverse proxies' keep-alive.
    public var idleTimeout: Duration

    public init(
        name: String, id: String, tags: [String], host: String, port: Int, advertiseAddress: String,
        broker: String, consul: String?, contracts: String, logFormat: LogFormat, logLevel: Logger.Level,
        idleTimeout: Duration = .seconds(60)
    ) {
        self.name = name
        self.id = id
        self.tags = tags
        self.host = host
        self.port = port
        self.advertiseAddress = advertiseAddress
        self.broker = broker
        self.consul = consul
        self.contracts = contracts
        self.logFormat = logFormat
        self.logLevel = logLevel
        self.idleTimeout = idleTimeout
    }
}
