import CRdKafka
import Logging
import Synchronization

/// librdkafka's mock cluster: a real Kafka-protocol broker, in memory, on loopback ports chosen by the
/// operating system (librdkafka 2.0.2 offers no way to pick them).
///
/// It is for development and tests. It keeps at most 5 MiB (or 100,000 batches) per partition and drops
/// the oldest records beyond that without telling anyone; the broker logs a warning when it happens.
public final class EmbeddedBroker: Sendable {
    /// Every broker's `host:port`, comma-separated: the `bootstrap.servers` for clients.
    public let bootstrapServers: String
    /// The mock brokers' ids, 1 through the number asked for.
    public let brokerIDs: [Int32]
    private let host: RdKafkaClient
    /// The cluster pointer, nil once destroyed; every control call holds this lock.
    private let cluster: Mutex<ClusterHandle?>

    private struct ClusterHandle: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    /// Starts `brokers` mock brokers hosted by a client handle of their own.
    public init(brokers: Int = 1, logger: Logger) throws(KafkaError) {
        guard brokers >= 1 else {
            throw KafkaError(code: .configuration, message: "the embedded broker needs at least one broker, not \(brokers)", isRetryable: false)
        }
        self.host = try RdKafkaClient(type: RD_KAFKA_PRODUCER, properties: ["client.id": "bookshelf-embedded-broker", "log_level": "4"], logger: logger)
        guard let cluster = rd_kafka_mock_cluster_new(host.handle, Int32(brokers)) else {
            throw KafkaError(code: .broker, message: "librdkafka could not start a mock cluster of \(brokers) brokers", isRetryable: false)
        }
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        self.brokerIDs = (1...Int32(brokers)).map { $0 }
        self.cluster = Mutex(ClusterHandle(pointer: cluster))
    }

    /// Starts a cluster with `topics` created, each with its number of partitions.
    public convenience init(brokers: Int = 1, topics: [(name: String, partitions: Int)], logger: Logger) throws(KafkaError) {
        try self.init(brokers: brokers, logger: logger)
        for topic in topics { try createTopic(topic.name, partitions: topic.partitions) }
    }

    deinit { shutdown() }

    /// `host:port` of the first broker; any one broker is enough for a client to find the others.
    package var firstBrokerAddress: String {
        String(bootstrapServers.split(separator: ",").first ?? "")
    }

    public func createTopic(_ name: String, partitions: Int) throws(KafkaError) {
        guard partitions >= 1 else {
            throw KafkaError(code: .configuration, message: "topic \(name) needs at least one partition, not \(partitions)", isRetryable: false)
        }
        let replication = Int32(min(brokerIDs.count, 3))
        try control("create topic \(name)") { rd_kafka_mock_topic_create($0, name, Int32(partitions), replication) }
    }

    /// Closes the broker's connections and refuses new ones, as if its machine went away.
    public func setBrokerDown(_ id: Int32) throws(KafkaError) {
        try control("take broker \(id) down") { rd_kafka_mock_broker_set_down($0, id) }
    }

    public func setBrokerUp(_ id: Int32) throws(KafkaError) {
        try control("bring broker \(id) up") { rd_kafka_mock_broker_set_up($0, id) }
    }

    public func setAllBrokersDown() throws(KafkaError) {
        for id in brokerIDs { try setBrokerDown(id) }
    }

    public func setAllBrokersUp() throws(KafkaError) {
        for id in brokerIDs { try setBrokerUp(id) }
    }

    /// Delays every response of one broker (all brokers when `id` is nil), to simulate a slow network.
    public func setRoundTripTime(_ rtt: Duration, broker id: Int32? = nil) throws(KafkaError) {
        for target in id.map({ [$0] }) ?? brokerIDs {
            try control("set the round-trip time of broker \(target)") {
                rd_kafka_mock_broker_set_rtt($0, target, Int32(clamping: rtt.milliseconds))
            }
        }
    }

    /// Stops the brokers and frees the cluster; later control calls fail with `shutDown`. Safe to repeat.
    public func shutdown() {
        let cluster = self.cluster.withLock { cluster in
            defer { cluster = nil }
            return cluster
        }
        guard let cluster else { return }
        rd_kafka_mock_cluster_destroy(cluster.pointer)
        host.destroy()
    }

    private func control(_ what: String, _ body: (OpaquePointer) -> rd_kafka_resp_err_t) throws(KafkaError) {
        let err = cluster.withLock { cluster -> rd_kafka_resp_err_t? in cluster.map { body($0.pointer) } }
        guard let err else {
            throw KafkaError(code: .shutDown, message: "cannot \(what): the embedded broker has shut down", isRetryable: false)
        }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(code: .broker, message: "cannot \(what): \(String(cString: rd_kafka_err2str(err)))",
                             isRetryable: false, rdKafkaCode: err.rawValue)
        }
    }
}
