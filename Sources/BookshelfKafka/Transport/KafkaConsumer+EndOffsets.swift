extension KafkaConsumer {
    /// The end offset (the offset the next record will get) of every partition of the consumer's topics,
    /// asked of the broker now, on a thread of its own since the call blocks.
    package func endOffsets(timeout: Duration = .seconds(1)) async throws(KafkaError) -> [(topic: String, partition: Int32, end: Int64)] {
        let (client, topics) = (self.client, configuration.topics)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<[PartitionWatermarks], KafkaError>, Never>) in
            DedicatedThread.start(name: "kafka-end-offsets") {
                continuation.resume(returning: Result { () throws(KafkaError) in
                    try RdKafkaClient.watermarks(client.handle, topics: topics, timeoutMilliseconds: milliseconds)
                })
            }
        }
        return try result.get().map { ($0.topic, $0.partition, $0.high) }
    }
}
