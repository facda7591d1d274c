import CRdKafka
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

    /// The records of one `send` call. Each record's per-message opaque is a slot that points back at
    /// its batch, so the delivery-report callback finds both the batch and the record's index; the last
    /// report resumes the caller. Retained once until then.
    private final class PendingBatch: @unchecked Sendable {
        private struct Outcome {
            var results: [Result<RecordPosition, KafkaError>]
            var remaining: Int
        }

        let slots: UnsafeMutablePointer<UnsafeMutableRawPointer>
        private let topics: [String]
        private let continuation: CheckedContinuation<[Result<RecordPosition, KafkaError>], Never>
        private let outcome: Mutex<Outcome>

        init(topics: [String], continuation: CheckedContinuation<[Result<RecordPosition, KafkaError>], Never>) {
            self.topics = topics
            self.continuation = continuation
            self.outcome = Mutex(Outcome(results: Array(repeating: .failure(.producerShutDown), count: topics.count), remaining: topics.count))
            self.slots = .allocate(capacity: max(1, topics.count))
        }

        /// Records that librdkafka will report on hold the batch; returns the opaque for record `index`.
        func opaque(for index: Int, retained: Unmanaged<PendingBatch>) -> UnsafeMutableRawPointer {
            (slots + index).initialize(to: retained.toOpaque())
            return UnsafeMutableRawPointer(slots + index)
        }

        static func fromOpaque(_ opaque: UnsafeMutableRawPointer) -> (PendingBatch, Int) {
            let slot = opaque.assumingMemoryBound(to: UnsafeMutableRawPointer.self)
            let batch = Unmanaged<PendingBatch>.fromOpaque(slot.pointee).takeUnretainedValue()
            return (batch, slot - batch.slots)
        }

        func delivered(_ index: Int, err: rd_kafka_resp_err_t, partition: Int32, offset: Int64) {
            let result: Result<RecordPosition, KafkaError> = err == RD_KAFKA_RESP_ERR_NO_ERROR
                ? .success(RecordPosition(topic: topics[index], partition: partition, offset: offset))
                : .failure(KafkaError(err, context: "delivery to \(topics[index]) failed"))
            complete(index, result)
        }

        /// Must be the caller's last use of the batch: the final completion releases it.
        func complete(_ index: Int, _ result: Result<RecordPosition, KafkaError>) {
            let finished = outcome.withLock { outcome -> [Result<RecordPosition, KafkaError>]? in
                outcome.results[index] = result
                outcome.remaining -= 1
                return outcome.remaining == 0 ? outcome.results : nil
            }
            guard let finished else { return }
            continuation.resume(returning: finished)
            Unmanaged.passUnretained(self).release()
        }

        deinit { slots.deallocate() }
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
                let (batch, index) = PendingBatch.fromOpaque(opaque)
                batch.delivered(index, err: message.pointee.err, partition: message.pointee.partition, offset: message.pointee.offset)
            }
        }
        DedicatedThread.start(name: "kafka-producer") { [self] in pollLoop() }
    }

    /// Sends one record and returns its position once every in-sync replica has it.
    ///
    /// Throws ``KafkaError`` with `queueFull` when the bounded queue is full, `timedOut` when the broker
    /// does not acknowledge within `messageTimeout`, `shutDown` after shutdown. Cancelling the caller does
    /// not withdraw a record that was handed to librdkafka; `send` still waits for its outcome.
    public func send(_ record: ProducerRecord) async throws -> RecordPosition {
        try await send(contentsOf: [record])[0].get()
    }

    /// Sends many records at once and returns, in order, each one's position or error (as ``send(_:)``
    /// would have), once all of them are settled. One suspension for the whole batch instead of one per
    /// record: what a high-throughput producer uses.
    public func send(contentsOf records: [ProducerRecord]) async -> [Result<RecordPosition, KafkaError>] {
        guard !records.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let batch = PendingBatch(topics: records.map(\.topic), continuation: continuation)
            let retained = Unmanaged.passRetained(batch)
            for (index, record) in records.enumerated() {
                let opaque = batch.opaque(for: index, retained: retained)
                let error = state.withLock { state -> KafkaError? in
                    guard case .running = state else { return .producerShutDown }
                    return enqueue(record, opaque: opaque)
                }
                // A record librdkafka refused gets no delivery report; settle it here.
                if let error { batch.complete(index, .failure(error)) }
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
        let error: OpaquePointer? = record.value.withUnsafeBytes { value in
            withOptionalBytes(record.key) { key in
                withCHeaders(record.headers) { names, values, sizes in
                    bookshelf_rdk_produce(
                        client.handle, record.topic, record.partition ?? bookshelf_rdk_partition_ua,
                        key?.baseAddress, key?.count ?? 0,
                        value.isEmpty ? nil : value.baseAddress, value.count,
                        names, values, sizes, record.headers.count,
                        opaque)
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

/// Hands C the headers as parallel arrays (NUL-terminated names, values, sizes), valid for the duration of
/// `body`. Everything lives in temporary allocations (on the stack when small): nothing is allocated per
/// header on the way to every record.
private func withCHeaders<R>(
    _ headers: [KafkaHeader],
    _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafeRawPointer?>?, UnsafePointer<Int>?) -> R
) -> R {
    if headers.isEmpty { return body(nil, nil, nil) }
    let byteCount = headers.reduce(0) { $0 + $1.name.utf8.count + 1 + $1.value.count }
    return withUnsafeTemporaryAllocation(of: CChar.self, capacity: byteCount) { bytes in
        withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: headers.count) { names in
            withUnsafeTemporaryAllocation(of: UnsafeRawPointer?.self, capacity: headers.count) { values in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: headers.count) { sizes in
                    var cursor = bytes.baseAddress!
                    for (index, header) in headers.enumerated() {
                        names[index] = UnsafePointer(cursor)
                        for byte in header.name.utf8 {
                            cursor.pointee = CChar(bitPattern: byte)
                            cursor += 1
                        }
                        cursor.pointee = 0
                        cursor += 1
                        header.value.withUnsafeBytes { value in
                            if let base = value.baseAddress { UnsafeMutableRawPointer(cursor).copyMemory(from: base, byteCount: value.count) }
                        }
                        values[index] = UnsafeRawPointer(cursor)
                        sizes[index] = header.value.count
                        cursor += header.value.count
                    }
                    return body(UnsafePointer(names.baseAddress), UnsafePointer(values.baseAddress), UnsafePointer(sizes.baseAddress))
                }
            }
        }
    }
}
