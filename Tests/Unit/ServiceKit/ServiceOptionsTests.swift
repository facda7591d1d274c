import ServiceKit
import Testing

@Suite struct ServiceOptionsTests {
    let defaults = ServiceDefaults(name: "booklist", tags: ["books", "list"], port: 8084)

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

    @Test func badEnvironmentValuesAreNamed() throws {
        #expect(throws: (any Error).self) { try ServiceOptions.parse([]).resolve(defaults: defaults, environment: ["BOOKSHELF_PORT": "eighty"]) }
        #expect(throws: (any Error).self) { try ServiceOptions.parse([]).resolve(defaults: defaults, environment: ["BOOKSHELF_LOG_FORMAT": "xml"]) }
    }
}
