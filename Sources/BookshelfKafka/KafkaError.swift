import CRdKafka

/// A failure of the Kafka layer: a code to branch on, a message a user can act on, and whether
/// retrying the same operation can help.
public struct KafkaError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A librdkafka property was rejected; fix the configuration.
        case configuration
        /// The producer's bounded queue is full; retry once deliveries catch up.
        case queueFull
        /// The broker did not acknowledge the record within `message.timeout.ms`.
        case timedOut
        /// The broker rejected or lost the record.
        case deliveryFailed
        /// The producer or consumer has shut down.
        case shutDown
        /// Topic metadata or offsets could not be read.
        case metadata
        /// The operation does not apply to this kind of client.
        case unsupported
        /// The embedded broker refused a control operation.
        case broker
    }

    public let code: Code
    public let message: String
    public let isRetryable: Bool
    /// librdkafka's `rd_kafka_resp_err_t`, when the failure came from librdkafka.
    public let rdKafkaCode: Int32?

    package init(code: Code, message: String, isRetryable: Bool, rdKafkaCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.isRetryable = isRetryable
        self.rdKafkaCode = rdKafkaCode
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// Maps a librdkafka error code, read at the call that returned it.
    init(_ err: rd_kafka_resp_err_t, context: String) {
        let text = String(cString: rd_kafka_err2str(err))
        let code: Code
        let retryable: Bool
        switch err {
        case RD_KAFKA_RESP_ERR__QUEUE_FULL:
            code = .queueFull
            retryable = true
        case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
            code = .timedOut
            retryable = true
        case RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT, RD_KAFKA_RESP_ERR__DESTROY:
            code = .shutDown
            retryable = true
        default:
            code = .deliveryFailed
            retryable = Self.isTransient(err)
        }
        self.init(code: code, message: "\(context): \(text)", isRetryable: retryable, rdKafkaCode: err.rawValue)
    }

    private static func isTransient(_ err: rd_kafka_resp_err_t) -> Bool {
        switch err {
        case RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
             RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
             RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
             RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
            return true
        default:
            return false
        }
    }

    static let producerShutDown = KafkaError(
        code: .shutDown, message: "the producer has shut down; records can no longer be sent", isRetryable: false)
}
