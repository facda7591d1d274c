import BookshelfContracts
import BookshelfKafka
import Logging

/// What `verify-topic` found on a topic: how many records it read (those that existed when it
/// started) and the ones that do not conform, with what is wrong with each.
struct TopicVerification: Sendable {
    struct Nonconforming: Sendable {
        let partition: Int32
        let offset: Int64
        let problems: [String]
    }

    var records = 0
    var nonconforming: [Nonconforming] = []

    /// Reads `topic` from the beginning to the end offsets seen at start and checks each record
    /// with `verifier`. Throws when the broker does not say, within `timeout`, where the topic
    /// ends (unreachable, or no such topic).
    static func read(
        topic: String, bootstrapServers: String, verifier: RecordVerifier,
        properties: [String: String] = [:], timeout: Duration = .seconds(15), logger: Logger
    ) async throws(KafkaError) -> TopicVerification {
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(bootstrapServers: bootstrapServers, topics: [topic], mode: .replay,
                                                      name: "verify-topic", properties: properties),
            logger: logger)
        let reader = Task {
            var result = TopicVerification()
            var ends: [Int32: Int64]?
            for await record in consumer.records {
                if ends == nil {
                    ends = Dictionary((consumer.endOffsetsAtStart ?? []).map { ($0.partition, $0.offset) }, uniquingKeysWith: max)
                }
                // Written after the start: not part of what was asked for.
                guard let end = ends?[record.position.partition], record.position.offset < end else { continue }
                result.records += 1
                let problems = verifier.problems(key: record.key, headers: record.headers.map { ($0.name, $0.value) }, value: record.value)
                if !problems.isEmpty {
                    result.nonconforming.append(Nonconforming(partition: record.position.partition, offset: record.position.offset, problems: problems))
                }
            }
            return result
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while consumer.recordsAtStart == nil, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        guard consumer.recordsAtStart != nil else {
            await consumer.shutdown()
            _ = await reader.value
            throw KafkaError(code: .metadata,
                             message: "\(bootstrapServers) did not say where \(topic) ends within \(timeout): is the broker up and does the topic exist?",
                             isRetryable: true)
        }
        _ = await consumer.caughtUp()
        await consumer.shutdown()
        var result = await reader.value
        result.nonconforming.sort { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
        return result
    }
}
