/// How a ``KafkaConsumer`` reads.
public struct KafkaConsumerConfiguration: Sendable {
    public enum Mode: Sendable, Equatable {
        /// Assign every partition of the topics from the beginning, join no group, commit nothing: how
        /// in-memory views and aggregate state rebuild on every start.
        case replay
        /// Join consumer group `id` and share the partitions with its other members; a record's offset is
        /// committed once the reader has asked for the next record (processing is done).
        case group(id: String)
    }

    public var bootstrapServers: String
    public var topics: [String]
    public var mode: Mode
    /// Names this consumer in logs, metrics and dead-letter headers; also `client.id`.
    public var name: String
    /// How many records may wait between librdkafka and the reader; the consumer thread stops fetching
    /// while the buffer is full.
    public var bufferCapacity: Int
    /// `fetch.wait.max.ms`. librdkafka's mock broker holds an empty fetch for this whole time instead of
    /// answering when data arrives, so the default is small.
    public var fetchWaitMax: Duration
    /// Any other librdkafka property; applied last, so it wins.
    public var properties: [String: String]

    public init(
        bootstrapServers: String,
        topics: [String],
        mode: Mode,
        name: String,
        bufferCapacity: Int = 2_000,
        fetchWaitMax: Duration = .milliseconds(10),
        properties: [String: String] = [:]
    ) {
        self.bootstrapServers = bootstrapServers
        self.topics = topics
        self.mode = mode
        self.name = name
        self.bufferCapacity = bufferCapacity
        self.fetchWaitMax = fetchWaitMax
        self.properties = properties
    }

    var librdkafkaProperties: [String: String] {
        var result = [
            "bootstrap.servers": bootstrapServers,
            "client.id": name,
            "fetch.wait.max.ms": String(fetchWaitMax.milliseconds),
            "reconnect.backoff.max.ms": "1000",
            "enable.partition.eof": "false",
        ]
        switch mode {
        case .replay:
            // librdkafka 2.0.2's rd_kafka_assign refuses to work without a group.id even though no group
            // is joined; nothing is ever committed under it.
            result["group.id"] = "bookshelf-replay-\(name)"
            result["enable.auto.commit"] = "false"
            result["enable.auto.offset.store"] = "false"
            // A replay reads a backlog as fast as it can take it. At the default (100,000 records) the
            // fetcher stops asking once that many wait, and the embedded broker's slow answer to the next
            // fetch left the reader idle near the end of a large replay (about 0.3 s of 3 over 500,000
            // events).
            result["queued.min.messages"] = "1000000"
            // The prefetch's bound. Once the queue holds this much, librdkafka 2.0.2 stops fetching and its
            // broker thread sleeps until its next wake-up, up to a second, however soon the reader drains
            // it (later versions added fetch.queue.backoff.ms for this). At the default, 64 MiB, a reader
            // decoding 250,000 events/s emptied the queue in about half a second and then waited: 0.6-0.75 s
            // of a 2.1 s replay of 500,000 events. This is more than a second of such a reader's work.
            result["queued.max.messages.kbytes"] = "262144"
        case .group(let id):
            result["group.id"] = id
            result["enable.auto.commit"] = "true"
            result["enable.auto.offset.store"] = "false"
            result["auto.offset.reset"] = "earliest"
        }
        result.merge(properties) { _, override in override }
        return result
    }
}
