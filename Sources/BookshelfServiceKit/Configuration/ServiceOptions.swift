import ArgumentParser
import FoundationEssentials
import BookshelfKafka
import Logging

/// The options every service shares. Each flag falls back to an environment variable, then to a documented
/// default; `resolve(defaults:)` reads them all through ``Settings``, so the flags stay the single source of
/// truth. The variable is the app's prefix (``ServiceDefaults/environmentPrefix``) and a name: the help of an
/// option can only say `<PREFIX>_PORT`, since one `ServiceOptions` serves every app, so a command puts
/// ``environmentHelp(prefix:)`` in its discussion to name its own variables.
public struct ServiceOptions: ParsableArguments, Sendable {
    @Option(help: "Port to listen on. Env <PREFIX>_PORT. Default: the service's own port.")
    package var port: Int?

    @Option(help: "Address to bind. Env <PREFIX>_HOST. Default 127.0.0.1.")
    package var host: String?

    @Option(help: "Kafka bootstrap servers, HOST:PORT[,HOST:PORT]. Env <PREFIX>_BROKER. Default 127.0.0.1:9092.")
    package var broker: String?

    @Option(help: ArgumentHelp(
        "Extra librdkafka properties for every Kafka client, NAME=VALUE,NAME=VALUE (\\, is a comma in a value), or one per line, or @FILE. Env <PREFIX>_KAFKA_CONFIG. Default: none. See docs/kafka.md.",
        valueName: "properties"))
    package var kafkaConfig: String?

    @Option(help: "Consul agent URL; when set the service registers itself once ready. Env <PREFIX>_CONSUL. Default: none.")
    package var consul: String?

    @Option(help: "Consul service name. Env <PREFIX>_SERVICE_NAME. Default: the service's own name.")
    package var name: String?

    @Option(help: "Consul service id. Env <PREFIX>_SERVICE_ID. Default NAME-HOST-PORT.")
    package var id: String?

    @Option(help: "Consul tags, comma-separated. Env <PREFIX>_SERVICE_TAGS. Default: the service's tags.")
    package var tags: String?

    @Option(help: "Address others reach this service at. Env <PREFIX>_ADVERTISE_ADDRESS. Default: the bind address, or 127.0.0.1 when binding 0.0.0.0.")
    package var advertiseAddress: String?

    @Option(help: "Folder of contracts (JSON Schemas). Env <PREFIX>_CONTRACTS. Default ./contracts.")
    package var contracts: String?

    @Option(help: "Log format: text or json (JSON Lines). Env <PREFIX>_LOG_FORMAT. Default text.")
    package var logFormat: LogFormat?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. Env <PREFIX>_LOG_LEVEL. Default info.")
    package var logLevel: String?

    public init() {}

    /// `--kafka-config`, else `<PREFIX>_KAFKA_CONFIG`, parsed (not yet checked by librdkafka: see
    /// ``checkedKafkaProperties(flag:settings:)``). A bad text is a usage error naming its source.
    public func kafkaProperties(settings: Settings) throws -> KafkaProperties {
        try Self.kafkaProperties(flag: kafkaConfig, settings: settings)
    }

    /// The one reader of the setting, shared with `bookshelf up`: `@FILE` reads FILE's text (one property
    /// per line, or comma-separated as inline).
    public static func kafkaProperties(flag: String?, settings: Settings) throws -> KafkaProperties {
        guard let found = settings.find("KAFKA_CONFIG", flag: flag, named: "--kafka-config") else { return KafkaProperties() }
        let source = found.source
        do {
            guard found.text.hasPrefix("@") else { return try KafkaProperties(parsing: found.text, source: source) }
            let path = String(found.text.dropFirst())
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

    /// ``kafkaProperties(flag:settings:)``, then checked by librdkafka itself, so that a property it refuses
    /// stops the process before it starts anything; the message names the flag or variable.
    public static func checkedKafkaProperties(flag: String?, settings: Settings) throws -> KafkaProperties {
        let properties = try kafkaProperties(flag: flag, settings: settings)
        do {
            try properties.validate(source: flag == nil ? settings.variable("KAFKA_CONFIG") : "--kafka-config")
        } catch {
            throw ValidationError(error.message)
        }
        return properties
    }

    /// The variables the options fall back to, in the order `--help` lists the options.
    static let variables = [
        "PORT", "HOST", "BROKER", "KAFKA_CONFIG", "CONSUL", "SERVICE_NAME", "SERVICE_ID", "SERVICE_TAGS", "ADVERTISE_ADDRESS",
        "CONTRACTS", "LOG_FORMAT", "LOG_LEVEL",
    ]

    /// A command's discussion naming the variables under the app's prefix, which the options' help writes as
    /// `<PREFIX>_NAME`: `CommandConfiguration(discussion: ServiceOptions.environmentHelp(prefix: "REVIEWS_"))`.
    public static func environmentHelp(prefix: String) -> String {
        let settings = Settings(prefix: prefix, environment: [:])
        return """
            Each option falls back to an environment variable, shown below as <PREFIX>_NAME; this app's prefix is \
            \(prefix), so the variables are \(variables.map(settings.variable).joined(separator: ", ")). A flag wins \
            over its variable; an empty variable counts as unset.
            """
    }

    /// Flags first, then the environment (under the prefix `defaults` names), then `defaults`.
    public func resolve(
        defaults: ServiceDefaults,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ServiceConfiguration {
        let settings = Settings(prefix: defaults.environmentPrefix, environment: environment)
        let resolvedPort = try settings.get(
            "PORT", flag: port, named: "--port", expected: "a number from 0 to 65535", where: (0...65535).contains
        ) ?? defaults.port
        let format = try settings.get(
            "LOG_FORMAT", flag: logFormat, named: "--log-format", expected: "text or json", parse: LogFormat.init(rawValue:)
        ) ?? .text
        let level = try settings.get(
            "LOG_LEVEL", flag: logLevel, named: "--log-level", expected: "one of trace, debug, info, notice, warning, error, critical",
            where: { Logger.Level(rawValue: $0) != nil }
        ).flatMap(Logger.Level.init(rawValue:)) ?? .info
        let host = settings.text("HOST", flag: host) ?? "127.0.0.1"
        let name = settings.text("SERVICE_NAME", flag: name) ?? defaults.name
        let advertise = settings.text("ADVERTISE_ADDRESS", flag: advertiseAddress) ?? (host == "0.0.0.0" ? "127.0.0.1" : host)
        let tags = settings.text("SERVICE_TAGS", flag: tags)
            .map { $0.split(separator: ",").map { $0.trimmingSpacesAndTabs() }.filter { !$0.isEmpty } }
            ?? defaults.tags
        return ServiceConfiguration(
            name: name,
            id: settings.text("SERVICE_ID", flag: id) ?? "\(name)-\(advertise)-\(resolvedPort)",
            tags: tags,
            host: host,
            port: resolvedPort,
            advertiseAddress: advertise,
            broker: settings.text("BROKER", flag: broker) ?? "127.0.0.1:9092",
            consul: settings.text("CONSUL", flag: consul),
            contracts: settings.text("CONTRACTS", flag: contracts) ?? "contracts",
            logFormat: format,
            logLevel: level
        )
    }
}

/// What a service brings to `ServiceOptions`: its Consul name, its tags, its port, and two of its app's
/// names: the prefix of its environment variables (``Settings``: `REVIEWS_` makes `--port` fall back to
/// `REVIEWS_PORT`) and the namespace of its problem types (`urn:reviews:problem:` types a 404
/// `urn:reviews:problem:not-found`). Neither has a default, so that no app answers or reads under another's names.
public struct ServiceDefaults: Sendable {
    public var name: String
    public var tags: [String]
    public var port: Int
    public var environmentPrefix: String
    public var problemNamespace: String
    /// The Prometheus namespace of the service's metrics. Unless given, the environment prefix in lower case
    /// without its trailing underscore: `BOOKSHELF_` gives `bookshelf` (`bookshelf_http_requests_total`).
    public var metricsNamespace: String

    public init(name: String, tags: [String], port: Int, environmentPrefix: String, problemNamespace: String, metricsNamespace: String? = nil) {
        self.name = name
        self.tags = tags
        self.port = port
        self.environmentPrefix = environmentPrefix
        self.problemNamespace = problemNamespace
        var derived = environmentPrefix.lowercased()
        while derived.hasSuffix("_") { derived.removeLast() }
        self.metricsNamespace = metricsNamespace ?? derived
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
    package var logFormat: LogFormat
    public var logLevel: Logger.Level
    /// A connection that sends nothing for this long is closed, so idle or stalled clients cannot hold
    /// connections (and their memory) for ever. A minute, like common reverse proxies' keep-alive.
    public var idleTimeout: Duration

    package init(
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
