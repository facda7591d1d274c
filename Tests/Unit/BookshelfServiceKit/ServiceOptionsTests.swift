import Foundation
import BookshelfServiceKit
import Testing

@Suite struct ServiceOptionsTests {
    let defaults = ServiceDefaults(name: "booklist", tags: ["books", "list"], port: 8084, environmentPrefix: "BOOKSHELF_", problemNamespace: "urn:bookshelf:problem:")

    @Test func defaultsApplyWhenNothingIsGiven() throws {
        let configuration = try ServiceOptions.parse([]).resolve(defaults: defaults, environment: [:])
        #expect(configuration.port == 8084)
        #expect(configuration.name == "booklist")
        #expect(configuration.tags == ["books", "list"])
        #expect(configuration.broker == "127.0.0.1:9092")
        #expect(configuration.consul == nil)
        #expect(configuration.id == "booklist-127.0.0.1-8084")
        #expect(configuration.logFormat == .text)
    }

    @Test func environmentFillsInAndFlagsWin() throws {
        let environment = ["BOOKSHELF_PORT": "9000", "BOOKSHELF_BROKER": "kafka:9092", "BOOKSHELF_SERVICE_TAGS": "a, b", "BOOKSHELF_LOG_FORMAT": "json"]
        let fromEnvironment = try ServiceOptions.parse([]).resolve(defaults: defaults, environment: environment)
        #expect(fromEnvironment.port == 9000)
        #expect(fromEnvironment.broker == "kafka:9092")
        #expect(fromEnvironment.tags == ["a", "b"])
        #expect(fromEnvironment.logFormat == .json)
        let flagged = try ServiceOptions.parse(["--port", "7000", "--broker", "127.0.0.1:1234", "--log-format", "text"]).resolve(defaults: defaults, environment: environment)
        #expect(flagged.port == 7000)
        #expect(flagged.broker == "127.0.0.1:1234")
        #expect(flagged.logFormat == .text)
    }

    @Test func badValuesNameTheFlagOrVariable() throws {
        func refusal(_ arguments: [String], _ environment: [String: String]) -> String? {
            let error = #expect(throws: (any Error).self) {
                try ServiceOptions.parse(arguments).resolve(defaults: defaults, environment: environment)
            }
            return error.map { String(describing: $0) }
        }
        #expect(refusal([], ["BOOKSHELF_PORT": "eighty"]) == "BOOKSHELF_PORT is 'eighty', not a number from 0 to 65535")
        #expect(refusal(["--port", "70000"], [:]) == "--port is '70000', not a number from 0 to 65535")
        #expect(refusal([], ["BOOKSHELF_LOG_FORMAT": "xml"]) == "BOOKSHELF_LOG_FORMAT is 'xml', not text or json")
        #expect(refusal(["--log-level", "loud"], [:])?.hasPrefix("--log-level is 'loud', not one of trace, debug") == true)
    }

    @Test func anotherAppReadsItsOwnPrefix() throws {
        let reviews = ServiceDefaults(name: "reviews", tags: ["reviews"], port: 8090, environmentPrefix: "REVIEWS_", problemNamespace: "urn:reviews:problem:")
        let environment = ["REVIEWS_PORT": "9100", "REVIEWS_BROKER": "kafka:9092", "BOOKSHELF_PORT": "9000", "BOOKSHELF_HOST": "0.0.0.0"]
        let configuration = try ServiceOptions.parse([]).resolve(defaults: reviews, environment: environment)
        #expect(configuration.port == 9100)
        #expect(configuration.broker == "kafka:9092")
        #expect(configuration.host == "127.0.0.1")
        let error = #expect(throws: (any Error).self) {
            try ServiceOptions.parse([]).resolve(defaults: reviews, environment: ["REVIEWS_PORT": "-1"])
        }
        #expect(error.map { String(describing: $0) } == "REVIEWS_PORT is '-1', not a number from 0 to 65535")
        let properties = try ServiceOptions.kafkaProperties(
            flag: nil, settings: Settings(prefix: "REVIEWS_", environment: ["REVIEWS_KAFKA_CONFIG": "linger.ms=7", "BOOKSHELF_KAFKA_CONFIG": "linger.ms=1"]))
        #expect(properties.values == ["linger.ms": "7"])
    }

    /// `--help` of a service names its own variables: every one the discussion lists is the one `resolve` reads.
    @Test func theEnvironmentHelpNamesTheVariablesTheOptionsRead() throws {
        let help = ServiceOptions.environmentHelp(prefix: "REVIEWS_")
        #expect(!help.contains("BOOKSHELF"))
        for (variable, value, read) in [
            ("REVIEWS_PORT", "9100", { (c: ServiceConfiguration) in "\(c.port)" }), ("REVIEWS_HOST", "10.0.0.1", \.host),
            ("REVIEWS_BROKER", "kafka:9092", \.broker), ("REVIEWS_CONSUL", "http://consul:8500", { $0.consul ?? "" }),
            ("REVIEWS_SERVICE_NAME", "rev", \.name), ("REVIEWS_SERVICE_ID", "rev-1", \.id),
            ("REVIEWS_SERVICE_TAGS", "x", { $0.tags.joined() }), ("REVIEWS_ADVERTISE_ADDRESS", "10.0.0.2", \.advertiseAddress),
            ("REVIEWS_CONTRACTS", "/c", \.contracts), ("REVIEWS_LOG_FORMAT", "json", { $0.logFormat.rawValue }),
            ("REVIEWS_LOG_LEVEL", "debug", { $0.logLevel.rawValue }),
        ] as [(String, String, (ServiceConfiguration) -> String)] {
            #expect(help.contains(variable), "\(variable) is not in the help")
            let configuration = try ServiceOptions.parse([]).resolve(
                defaults: ServiceDefaults(name: "reviews", tags: ["reviews"], port: 8090, environmentPrefix: "REVIEWS_", problemNamespace: "urn:reviews:problem:"), environment: [variable: value])
            #expect(read(configuration) == value, "\(variable)")
        }
        #expect(help.contains("REVIEWS_KAFKA_CONFIG"))
        let helpText = ServiceOptions.helpMessage()
        #expect(!helpText.contains("BOOKSHELF_"))
        #expect(helpText.contains("<PREFIX>_PORT"))
    }

    @Test func kafkaConfigComesFromTheFlagElseTheEnvironmentElseNothing() throws {
        let environment = ["BOOKSHELF_KAFKA_CONFIG": "linger.ms=50,client.rack=eu-1"]
        #expect(try ServiceOptions.parse([]).kafkaProperties(settings: Settings(prefix: "BOOKSHELF_", environment: [:])).isEmpty)
        #expect(try ServiceOptions.parse([]).kafkaProperties(settings: Settings(prefix: "BOOKSHELF_", environment: environment)).values == ["linger.ms": "50", "client.rack": "eu-1"])
        #expect(try ServiceOptions.parse(["--kafka-config", "linger.ms=5"]).kafkaProperties(settings: Settings(prefix: "BOOKSHELF_", environment: environment)).values == ["linger.ms": "5"])
    }

    @Test func kafkaConfigReadsAFileOnePropertyPerLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kafka-\(UUID().uuidString).properties").path
        try "security.protocol=SASL_SSL\nsasl.oauthbearer.extensions=a=1,b=2\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let properties = try ServiceOptions.parse([]).kafkaProperties(settings: Settings(prefix: "BOOKSHELF_", environment: ["BOOKSHELF_KAFKA_CONFIG": "@\(path)"]))
        #expect(properties.values == ["security.protocol": "SASL_SSL", "sasl.oauthbearer.extensions": "a=1,b=2"])
        let missing = #expect(throws: (any Error).self) {
            try ServiceOptions.parse(["--kafka-config", "@/nonexistent/kafka.properties"]).kafkaProperties(settings: Settings(prefix: "BOOKSHELF_", environment: [:]))
        }
        #expect(String(describing: missing!).contains("--kafka-config: cannot read the file /nonexistent/kafka.properties"))
        let wrong = #expect(throws: (any Error).self) {
            try ServiceOptions.parse([]).kafkaProperties(settings: Settings(prefix: "BOOKSHELF_", environment: ["BOOKSHELF_KAFKA_CONFIG": "bootstrap.servers=x:1"]))
        }
        #expect(String(describing: wrong!).contains("BOOKSHELF_KAFKA_CONFIG: bootstrap.servers cannot be set here"))
    }
}
