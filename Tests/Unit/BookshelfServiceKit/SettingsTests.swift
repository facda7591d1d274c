import BookshelfServiceKit
import Testing

@Suite struct SettingsTests {
    let settings = Settings(prefix: "BOOKSHELF_", environment: ["BOOKSHELF_PORT": "9000", "BOOKSHELF_EMPTY": "", "BOOKSHELF_NAME": "from-env", "PORT": "1"])

    func port(_ settings: Settings, flag: Int?) throws -> Int {
        try settings.get("PORT", flag: flag, named: "--port", expected: "a port", where: (0...65535).contains) ?? 8081
    }

    @Test func theFlagWinsOverTheVariable() throws {
        #expect(try port(settings, flag: 7000) == 7000)
        #expect(settings.text("NAME", flag: "from-flag") == "from-flag")
        let found = settings.find("NAME", flag: "from-flag", named: "--name")
        #expect(found?.text == "from-flag")
        #expect(found?.source == "--name")
    }

    @Test func theVariableWinsOverTheDefault() throws {
        #expect(try port(settings, flag: nil) == 9000)
        #expect(settings.text("NAME") == "from-env")
        let found = settings.find("NAME", flag: nil, named: "--name")
        #expect(found?.text == "from-env")
        #expect(found?.source == "BOOKSHELF_NAME")
    }

    @Test func theDefaultAppliesWhenTheVariableIsUnsetOrEmpty() throws {
        #expect(try port(Settings(prefix: "BOOKSHELF_", environment: [:]), flag: nil) == 8081)
        #expect(settings.text("EMPTY") == nil)
        #expect(try settings.get("EMPTY", flag: nil as Int?, named: "--empty", expected: "a number") == nil)
    }

    @Test func aBadVariableIsNamed() {
        let unreadable = #expect(throws: (any Error).self) { try port(Settings(prefix: "BOOKSHELF_", environment: ["BOOKSHELF_PORT": "eighty"]), flag: nil) }
        #expect(unreadable.map { String(describing: $0) } == "BOOKSHELF_PORT is 'eighty', not a port")
        let refused = #expect(throws: (any Error).self) { try port(Settings(prefix: "BOOKSHELF_", environment: ["BOOKSHELF_PORT": "70000"]), flag: nil) }
        #expect(refused.map { String(describing: $0) } == "BOOKSHELF_PORT is '70000', not a port")
    }

    @Test func aRefusedFlagIsNamed() {
        let refused = #expect(throws: (any Error).self) { try port(settings, flag: -1) }
        #expect(refused.map { String(describing: $0) } == "--port is '-1', not a port")
    }

    @Test func aCustomPrefixReadsOnlyItsOwnVariables() throws {
        let reviews = Settings(prefix: "REVIEWS_", environment: ["REVIEWS_PORT": "8090", "BOOKSHELF_PORT": "9000"])
        #expect(reviews.variable("PORT") == "REVIEWS_PORT")
        #expect(try port(reviews, flag: nil) == 8090)
        #expect(try port(Settings(prefix: "REVIEWS_", environment: ["BOOKSHELF_PORT": "9000"]), flag: nil) == 8081)
        let refused = #expect(throws: (any Error).self) { try port(Settings(prefix: "REVIEWS_", environment: ["REVIEWS_PORT": "x"]), flag: nil) }
        #expect(refused.map { String(describing: $0) } == "REVIEWS_PORT is 'x', not a port")
    }

    @Test func aParserReadsTypesThatAreNotLosslessStrings() throws {
        enum Mode: String { case fast, safe }
        let mode = try Settings(prefix: "BOOKSHELF_", environment: ["BOOKSHELF_MODE": "safe"])
            .get("MODE", flag: nil, named: "--mode", expected: "fast or safe", parse: Mode.init(rawValue:))
        #expect(mode == .safe)
        #expect(throws: (any Error).self) {
            try Settings(prefix: "BOOKSHELF_", environment: ["BOOKSHELF_MODE": "slow"]).get("MODE", flag: nil, named: "--mode", expected: "fast or safe", parse: Mode.init(rawValue:))
        }
    }
}
