import BookshelfKafka
import Testing

@Suite struct KafkaPropertiesTests {
    private func parse(_ text: String) throws(KafkaError) -> [String: String] {
        try KafkaProperties(parsing: text, source: "BOOKSHELF_KAFKA_CONFIG").values
    }

    private func failure(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func commaSeparatedEntriesSplitAtTheFirstEquals() throws {
        #expect(try parse("security.protocol=SASL_SSL,sasl.mechanism=PLAIN, sasl.username = alice ,sasl.password=a=b") == [
            "security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN", "sasl.username": "alice", "sasl.password": "a=b",
        ])
        #expect(try parse("").isEmpty)
        #expect(try parse("linger.ms=20,") == ["linger.ms": "20"])
    }

    @Test func anEscapedCommaStaysInTheValue() throws {
        #expect(try parse(#"debug=broker\,topic,ssl.ca.location=C:\\ca.pem"#) == ["debug": "broker,topic", "ssl.ca.location": #"C:\ca.pem"#])
        #expect(failure(#"debug=broker\;topic"#)?.contains(#"only \, and \\ are"#) == true)
        #expect(failure(#"debug=broker\"#)?.contains("lone backslash") == true)
    }

    @Test func withALineBreakEveryLineIsOneEntryAndCommasAreLiteral() throws {
        let text = """
            # the cluster
            security.protocol=SASL_SSL

            debug=broker,topic
            sasl.oauthbearer.extensions=tenant=a,region=eu\r
            """
        #expect(try parse(text) == [
            "security.protocol": "SASL_SSL", "debug": "broker,topic", "sasl.oauthbearer.extensions": "tenant=a,region=eu",
        ])
    }

    @Test func mistakesAreNamedWithTheirSource() {
        let unescaped = failure("debug=broker,topic")
        #expect(unescaped?.hasPrefix("BOOKSHELF_KAFKA_CONFIG: 'topic' is not name=value") == true)
        #expect(failure("=PLAIN")?.contains("no property name") == true)
        #expect(failure("linger.ms=5,linger.ms=10") == "BOOKSHELF_KAFKA_CONFIG: linger.ms is given twice")
    }

    @Test func propertiesTheKitOwnsAreRefusedWithTheReason() {
        let brokers = failure("bootstrap.servers=kafka:9092")
        #expect(brokers?.contains("the brokers come from --broker or the variable it falls back to") == true)
        #expect(failure("acks=1")?.contains("acks=all") == true)
        #expect(failure("group.id=mine")?.hasPrefix("BOOKSHELF_KAFKA_CONFIG: group.id cannot be set here") == true)
        #expect(failure("request.required.acks=0") != nil)
    }

    @Test func librdkafkaAcceptsWhatItKnows() throws {
        try KafkaProperties(parsing: #"linger.ms=20,security.protocol=plaintext,debug=broker\,topic,fetch.max.bytes=1048576"#, source: "test")
            .validate(source: "test")
    }

    @Test func aPropertyLibrdkafkaRefusesIsAnErrorNamingItAndLibrdkafkasMessage() throws {
        let unknown = try KafkaProperties(parsing: "linger.ms=20,no.such.property=1", source: "test")
        let unknownError = #expect(throws: KafkaError.self) { try unknown.validate(source: "--kafka-config") }
        #expect(unknownError?.message.hasPrefix("--kafka-config: librdkafka refused no.such.property: ") == true)
        #expect(unknownError?.message.contains("No such configuration property") == true)

        let badValue = try KafkaProperties(parsing: "sasl.password=hunter2,security.protocol=carrier-pigeon", source: "test")
        let badValueError = #expect(throws: KafkaError.self) { try badValue.validate(source: "test") }
        #expect(badValueError?.message.contains("refused security.protocol") == true)
        #expect(badValueError?.message.contains("hunter2") == false)
    }

    @Test func aClientThatCannotStartIsAnErrorBeforeAnythingStarts() throws {
        let properties = try KafkaProperties(parsing: "security.protocol=ssl,ssl.ca.location=/nonexistent/ca.pem", source: "test")
        let error = #expect(throws: KafkaError.self) { try properties.validate(source: "test") }
        #expect(error?.message.hasPrefix("test: librdkafka cannot start a client with these properties: ") == true)
        #expect(error?.message.contains("ssl.ca.location") == true)
    }

    @Test func theLoadedLibraryIsNamedAndNewEnough() {
        #expect(LibRdKafka.version.split(separator: ".").count >= 3)
        #expect(LibRdKafka.headerVersion.split(separator: ".").count == 3)
        #expect(LibRdKafka.isSupported, "librdkafka \(LibRdKafka.version) is older than \(LibRdKafka.minimumVersion): run make setup")
        #expect(LibRdKafka.summary.hasPrefix("librdkafka \(LibRdKafka.version) (compiled against "))
    }
}
