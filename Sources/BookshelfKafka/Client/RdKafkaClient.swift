import CRdKafka
import Logging
import Synchronization

/// Owns one `rd_kafka_t`: builds it from string properties, routes librdkafka's logs to swift-log, and
/// destroys it exactly once. Every other raw librdkafka handle in this module stays inside its owner's
/// dedicated thread.
final class RdKafkaClient: Sendable {
    /// What librdkafka's C callbacks reach through `rd_kafka_opaque`.
    final class Context: Sendable {
        let logger: Logger
        init(logger: Logger) { self.logger = logger }
    }

    nonisolated(unsafe) let handle: OpaquePointer
    private let context: Unmanaged<Context>
    private let destroyed = Atomic<Bool>(false)

    init(
        type: rd_kafka_type_t,
        properties: [String: String],
        logger: Logger,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) {
        let conf = try Self.configuration(properties)
        var errstr = [CChar](repeating: 0, count: 512)
        let context = Unmanaged.passRetained(Context(logger: logger))
        rd_kafka_conf_set_opaque(conf, context.toOpaque())
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, message in
            // Called on librdkafka's own threads; reading the opaque pointer is a plain field read.
            guard let rk, let opaque = rd_kafka_opaque(rk) else { return }
            let context = Unmanaged<Context>.fromOpaque(opaque).takeUnretainedValue()
            let text = message.map { String(cString: $0) } ?? ""
            let fac = facility.map { String(cString: $0) } ?? ""
            context.logger.log(level: RdKafkaClient.logLevel(syslog: level), "\(text)", metadata: ["rdkafka.facility": "\(fac)"])
        }
        configure(conf)
        guard let rk = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            context.release()
            throw KafkaError(code: .configuration, message: "librdkafka could not create a client: \(Self.string(errstr))", isRetryable: false)
        }
        self.handle = rk
        self.context = context
    }

    /// A librdkafka configuration holding `properties`, set in name order. A property librdkafka refuses is
    /// a `.configuration` error naming it (`source`, when given, says where it came from) with librdkafka's
    /// message, never its value: it may be a password. The caller owns the configuration.
    static func configuration(_ properties: [String: String], source: String? = nil) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: .configuration, message: "librdkafka could not allocate a configuration", isRetryable: false)
        }
        var errstr = [CChar](repeating: 0, count: 512)
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, name, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError(
                    code: .configuration, message: "\(source.map { $0 + ": " } ?? "")librdkafka refused \(name): \(string(errstr))",
                    isRetryable: false)
            }
        }
        return conf
    }

    /// Destroys the handle; later calls do nothing. Callers make sure no other thread still uses it.
    func destroy() {
        guard !destroyed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        rd_kafka_destroy(handle)
        context.release()
    }

    deinit { destroy() }

    static func logLevel(syslog level: Int32) -> Logger.Level {
        switch level {
        case ...2: .critical
        case 3: .error
        case 4: .warning
        case 5: .notice
        case 6: .info
        default: .debug
        }
    }

    static func string(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
