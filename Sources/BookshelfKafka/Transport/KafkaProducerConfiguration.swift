/// How a ``KafkaProducer`` talks to Kafka. The defaults favour the guarantee "an acknowledged record is
/// in Kafka exactly once": idempotence, `acks=all`, a bounded queue and a bounded delivery time.
public struct KafkaProducerConfiguration: Sendable {
    /// `bootstrap.servers`.
    public var bootstrapServers: String
    /// `client.id`, also the `source` of the producer's logs.
    public var clientID: String
    /// `message.timeout.ms`: how long `send` may wait for an acknowledgement before it fails.
    public var messageTimeout: Duration
    /// `queue.buffering.max.messages`: records waiting for delivery before `send` fails with `queueFull`.
    public var queueCapacity: Int
    /// `linger.ms`: how long librdkafka waits to fill a batch.
    public var linger: Duration
    /// How long shutdown waits for queued records to be acknowledged before it purges them.
    public var flushTimeout: Duration
    /// Any other librdkafka property; applied last, so it wins.
    public var properties: [String: String]

    public init(
        bootstrapServers: String,
        clientID: String = "bookshelf",
        messageTimeout: Duration = .seconds(10),
        queueCapacity: Int = 100_000,
        linger: Duration = .milliseconds(5),
        flushTimeout: Duration = .seconds(10),
        properties: [String: String] = [:]
    ) {
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
        self.messageTimeout = messageTimeout
        self.queueCapacity = queueCapacity
        self.linger = linger
        self.flushTimeout = flushTimeout
        self.properties = properties
    }

    var librdkafkaProperties: [String: String] {
        var result = [
            "bootstrap.servers": bootstrapServers,
            "client.id": clientID,
            "enable.idempotence": "true",
            "acks": "all",
            "message.timeout.ms": String(messageTimeout.milliseconds),
            "queue.buffering.max.messages": String(queueCapacity),
            "linger.ms": String(linger.milliseconds),
            // A broker that comes back is found within a second instead of librdkafka's default 10 s.
            "reconnect.backoff.max.ms": "1000",
        ]
        result.merge(properties) { _, override in override }
        return result
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
