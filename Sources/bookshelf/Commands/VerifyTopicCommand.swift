import ArgumentParser
import BookshelfJSON
import BookshelfContracts
import BookshelfDomain
import BookshelfKafka
import Logging

/// `bookshelf contracts verify-topic --broker HOST:PORT`: every record a topic held at start
/// against its AsyncAPI message; exit 0 all conform, 1 some do not, 2 usage or broker error.
struct VerifyTopicCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-topic",
        abstract: "Check every record of a live topic against its AsyncAPI message: key, headers and value.",
        discussion: """
            Reads the topic from the beginning to the end offsets seen at start. A record conforms when \
            one message of the channel whose address is the topic accepts it: its content-type header and \
            headers schema, its payload schema (envelope and versioned data), its key schema, and a key \
            equal to the event's subject. Prints "PARTITION:OFFSET: what is wrong" per nonconforming record, \
            then a summary. Exit status: 0 all conform, 1 some do not, 2 a usage or broker error.
            """
    )

    enum Output: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(name: .long, help: "The Kafka bootstrap servers, HOST:PORT.")
    var broker: String

    @Option(name: .long, help: "The topic: an address of a channel of asyncapi.json.")
    var topic: String = BookshelfEvents.topic

    @Option(name: .long, help: "The contracts folder. Default: $BOOKSHELF_CONTRACTS, else ./contracts or a parent's.")
    var contracts: String?

    @Option(name: .long, help: "text or json.")
    var output: Output = .text

    @Option(name: .long, help: "Seconds to wait for the broker to say where the topic ends.")
    var timeout: Int = 15

    func run() async throws {
        let verification: TopicVerification
        do {
            let registry = try ContractsLocation.load(flag: contracts, environmentVariable: ContractsLocation.bookshelfVariable)
            let verifier = try RecordVerifier(registry: registry, topic: topic)
            var logger = Logger(label: "verify-topic")
            logger.logLevel = .error
            verification = try await TopicVerification.read(topic: topic, bootstrapServers: broker, verifier: verifier,
                                                            timeout: .seconds(timeout), logger: logger)
        } catch let error as ContractError {
            printError("bookshelf: \(error)")
            throw ExitCode(2)
        } catch let error as KafkaError {
            printError("bookshelf: \(error.message)")
            throw ExitCode(2)
        }
        let bad = verification.nonconforming.count
        switch output {
        case .text:
            for record in verification.nonconforming {
                StandardStream.output.write("\(record.partition):\(record.offset): \(record.problems.joined(separator: "; "))\n")
            }
            StandardStream.output.write("\(topic): \(verification.records) record(s), \(verification.records - bad) conform, \(bad) do not\n")
        case .json:
            let json: JSONValue = [
                "topic": .string(topic), "records": .number(verification.records), "conforming": .number(verification.records - bad),
                "nonconforming": .array(verification.nonconforming.map { record in
                    ["partition": .number(Int(record.partition)), "offset": .number(Int(record.offset)),
                     "problems": .array(record.problems.map(JSONValue.string))]
                }),
            ]
            StandardStream.output.write(json.serialized() + "\n")
        }
        if bad > 0 { throw ExitCode(1) }
    }
}
