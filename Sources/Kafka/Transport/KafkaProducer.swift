import CRdKafka
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// An idempotent Kafka producer whose `send` returns once the broker has acknowledged the record.
///
/// librdkafka's delivery reports are served by `rd_kafka_poll` on a dedicated thread; each record carries a
/// box with its continuation as the per-message opaque, and the delivery-report callback resumes it. As a
/// ServiceLifecycle service, `run()` waits for graceful shutdown, then flushes within `flushTimeout`.
public final class KafkaProducer: Service, Sendable {
    private enum State {
        case running
        case shuttingDown([CheckedContinuation<Void, Never>])
        case shutDown
    }

    /// The per-message opaque: what the delivery-report callback needs to finish one `send`.
    private final class Delivery {
        let continuation: CheckedContinuation<RecordPosition, any Error>
        let topic: String
        init(continuation: CheckedContinuation<RecordPosition, any Error>, topic: String) {
            self.continuation = continuation
            self.topic = topic
        }
    }

    public let configuration: KafkaProducerConfiguration
    private let client: RdKafkaClient
    private let logger: Logger
    /// Guards the handle's lifetime: `produceva` only runs while `running`, and the poll thread destroys
    /// the handle only after leaving it.
    private let state = Mutex(State.running)
    private let stopRequested = Atomic<Bool>(false)

    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws(KafkaError) {
        self.configuration = configuration
        self.logger = logger
        self.client = try RdKafkaClient(type: RD_KAFKA_PRODUCER, properties: configuration.librdkafkaProperties, logger: logger) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, _ in
                guard let message, let opaque = message.pointee._private else { return }
                let delivery = Unmanaged<Delivery>.fromOpaque(opaque).takeRetainedValue()
                let err = message.pointee.err
                if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    delivery.continuation.resume(returning: RecordPosition(
                        topic: delivery.topic, partition: message.pointee.partition, offset: message.pointee.offset))
                } else {
                    delivery.continuation.resume(throwing: KafkaError(err, context: "delivery to \(delivery.topic) failed"))
                }
            }
        }
        let thread = Thread { [self] in pollLoop() }
        thread.name = "kafka-producer-poll"
        thread.start()
    }

    /// Sends one record and returns its position once every in-sync replica has it.
    ///
    /// Throws ``KafkaError`` with `queueFull` when the bounded queue is full, `timedOut` when the broker
    /// does not acknowledge within `messageTimeout`, `shutDown` after shutdown. Cancelling the caller does
    /// not withdraw a record that was handed to librdkafka; `send` still waits for its outcome.
    public func send(_ record: ProducerRecord) async throws -> RecordPosition {
        try await withCheckedThrowingContinuation { continuation in
            let delivery = Unmanaged.passRetained(Delivery(continuation: continuation, topic: record.topic))
            let error = state.withLock { state -> KafkaError? in
                guard case .running = state else { return .producerShutDown }
                return enqueue(record, opaque: delivery.toOpaque())
            }
            if let error {
                delivery.release()
                continuation.resume(throwing: error)
            }
        }
    }

    /// Stops accepting records, waits up to `flushTimeout` for queued ones to be acknowledged, fails the
    /// rest with `shutDown`, and destroys the handle. Safe to call more than once.
    public func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                switch state {
                case .running:
                    state = .shuttingDown([continuation])
                    return false
                case .shuttingDown(var waiting):
                    waiting.append(continuation)
                    state = .shuttingDown(waiting)
                    return false
                case .shutDown:
                    return true
                }
            }
            if resumeNow {
                continuation.resume()
            } else {
                stopRequested.store(true, ordering: .releasing)
            }
        }
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    private func enqueue(_ record: ProducerRecord, opaque: UnsafeMutableRawPointer) -> KafkaError? {
        let names = record.headers.map { strdup($0.name) }
        defer { names.forEach { free($0) } }
        let error: OpaquePointer? = record.value.withUnsafeBytes { value in
            withOptionalBytes(record.key) { key in
                withHeaderValues(record.headers) { values, sizes in
                    names.map { UnsafePointer<CChar>($0) }.withUnsafeBufferPointer { names in
                        bookshelf_rdk_produce(
                            client.handle, record.topic, record.partition ?? bookshelf_rdk_partition_ua,
                            key?.baseAddress, key?.count ?? 0,
                            value.isEmpty ? nil : value.baseAddress, value.count,
                            names.baseAddress, values, sizes, names.count,
                            opaque)
                    }
                }
            }
        }
        guard let error else { return nil }
        defer { rd_kafka_error_destroy(error) }
        return KafkaError(rd_kafka_error_code(error), context: "could not enqueue a record for \(record.topic)")
    }

    private func pollLoop() {
        while !stopRequested.load(ordering: .acquiring) {
            rd_kafka_poll(client.handle, 100)
        }
        let flushed = rd_kafka_flush(client.handle, Int32(clamping: configuration.flushTimeout.milliseconds))
        if flushed != RD_KAFKA_RESP_ERR_NO_ERROR {
            let left = rd_kafka_outq_len(client.handle)
            logger.error("producer shut down before \(left) queued records were acknowledged; their senders get a shutDown error",
                         metadata: ["flush.timeout.ms": "\(configuration.flushTimeout.milliseconds)"])
            rd_kafka_purge(client.handle, bookshelf_rdk_purge_all)
            // Serves the purged records' delivery reports so that every waiting `send` is resumed.
            rd_kafka_poll(client.handle, 0)
        }
        client.destroy()
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            defer { state = .shutDown }
            if case .shuttingDown(let waiting) = state { return waiting }
            return []
        }
        waiting.forEach { $0.resume() }
    }
}

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}

/// Hands C the header values as parallel arrays of pointers and sizes, valid for the duration of `body`.
private func withHeaderValues<R>(
    _ headers: [KafkaHeader],
    _ body: (UnsafePointer<UnsafeRawPointer?>?, UnsafePointer<Int>?) -> R
) -> R {
    if headers.isEmpty { return body(nil, nil) }
    let storage = UnsafeMutableRawPointer.allocate(byteCount: max(1, headers.reduce(0) { $0 + $1.value.count }), alignment: 1)
    defer { storage.deallocate() }
    var pointers = [UnsafeRawPointer?]()
    var sizes = [Int]()
    var cursor = 0
    for header in headers {
        header.value.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { (storage + cursor).copyMemory(from: base, byteCount: bytes.count) }
        }
        pointers.append(UnsafeRawPointer(storage + cursor))
        sizes.append(header.value.count)
        cursor += header.value.count
    }
    return pointers.withUnsafeBufferPointer { p in sizes.withUnsafeBufferPointer { s in body(p.baseAddress, s.baseAddress) } }
}
