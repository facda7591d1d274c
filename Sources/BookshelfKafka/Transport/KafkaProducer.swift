import CRdKafka
import Logging
import ServiceLifecycle
import Synchronization

/// An idempotent Kafka producer whose `send` returns once the broker has acknowledged the record.
///
/// One dedicated thread does all of the producer's librdkafka work: it hands records to librdkafka and
/// serves delivery reports with `rd_kafka_poll`. A send copies its records (key, value, which headers)
/// into one buffer on the caller's thread and queues it for that thread, which wakes at once. Handing
/// records over on the thread that polls means librdkafka frees each message on the thread that allocated
/// it: when callers' threads handed records over, glibc's frees on the polling thread took about a third
/// of the process's CPU while it produced. Each record's per-message opaque is its slot in its send's batch,
/// where the delivery-report callback writes the outcome, and the batch's last report resumes the
/// sender. As a ServiceLifecycle service, `run()` waits for graceful shutdown, then flushes within
/// `flushTimeout`.
public final class KafkaProducer: Service, Sendable {
    private enum State {
        case running
        case shuttingDown([CheckedContinuation<Void, Never>])
        case shutDown
    }

    /// What librdkafka reported for one record: plain values that the delivery-report callback writes
    /// without a lock or an allocation; the waiting sender turns them into results.
    fileprivate struct Delivery {
        enum Outcome {
            /// Handed to librdkafka, no report yet.
            case pending
            case reported(rd_kafka_resp_err_t, partition: Int32, offset: Int64)
            /// Never handed to librdkafka, so it gets no report.
            case refused(KafkaError)
            /// No record: the sender answers for this index itself.
            case skipped
        }

        /// The record's ``PendingBatch``, unretained: the batch outlives its reports.
        var batch: UnsafeMutableRawPointer?
        var outcome: Outcome
    }

    /// The records of one send: one delivery slot per record, whose address is the record's per-message
    /// opaque, and the records themselves until the poll thread has handed them to librdkafka.
    /// `outstanding` counts the reports still to come plus one hold, the sender's while it stages records
    /// and then the poll thread's while it produces them; whoever brings it to zero resumes the sender, so
    /// each batch costs one continuation.
    fileprivate final class PendingBatch: @unchecked Sendable {
        let deliveries: UnsafeMutablePointer<Delivery>
        let capacity: Int
        let continuation: CheckedContinuation<Void, Never>
        private let outstanding = Atomic<Int>(1)
        /// Written by the sender while it fills the batch, then read and emptied by the poll thread.
        var staged: StagedRecords

        init(capacity: Int, continuation: CheckedContinuation<Void, Never>) {
            self.capacity = capacity
            self.continuation = continuation
            staged = StagedRecords(expecting: capacity)
            deliveries = .allocate(capacity: max(1, capacity))
            deliveries.initialize(repeating: Delivery(batch: nil, outcome: .skipped), count: capacity)
        }

        deinit {
            deliveries.deinitialize(count: capacity)
            deliveries.deallocate()
        }

        /// Before a record goes to librdkafka, whose report may arrive at once.
        func expectReport() {
            outstanding.add(1, ordering: .relaxed)
        }

        /// A report arrived, or the sender let go of its hold, or librdkafka refused a record it expected.
        /// Nothing may touch the batch after the call that resumes the sender.
        func settle() {
            if outstanding.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
                // A copy of its own: once resumed, the sender may free the batch.
                let continuation = self.continuation
                continuation.resume()
            }
        }

        static func deliver(_ message: UnsafePointer<rd_kafka_message_t>) {
            guard let opaque = message.pointee._private else { return }
            let delivery = opaque.assumingMemoryBound(to: Delivery.self)
            delivery.pointee.outcome = .reported(message.pointee.err, partition: message.pointee.partition, offset: message.pointee.offset)
            Unmanaged<PendingBatch>.fromOpaque(delivery.pointee.batch!).takeUnretainedValue().settle()
        }
    }

    /// Copies the records of one send, on the sender's thread, into its ``PendingBatch``.
    struct BatchWriter: ~Copyable {
        private let batch: PendingBatch
        /// Whether the producer still took records when the send began; the handle outlives the send.
        private let accepting: Bool

        fileprivate init(batch: PendingBatch, accepting: Bool) {
            self.batch = batch
            self.accepting = accepting
        }

        /// Copies the record for result `index` (key, value and which headers) to be handed to librdkafka
        /// on the poll thread, at most once per index; an index that gets no record has no result.
        func produce(at index: Int, topic: String, partition: Int32?, key: UnsafeRawBufferPointer?,
                     value: UnsafeRawBufferPointer, headers: CHeaderList) {
            let slot = batch.deliveries + index
            guard accepting else {
                slot.pointee = Delivery(batch: nil, outcome: .refused(.producerShutDown))
                return
            }
            slot.pointee = Delivery(batch: Unmanaged.passUnretained(batch).toOpaque(), outcome: .pending)
            batch.expectReport()
            batch.staged.append(index: index, topic: topic, partition: partition, key: key, value: value, headers: headers)
        }
    }

    public let configuration: KafkaProducerConfiguration
    private let client: RdKafkaClient
    private let logger: Logger
    private let state = Mutex(State.running)
    /// Guard the handle's lifetime without a lock on the way of every record: a send counts itself in
    /// `activeSenders`, then stages and submits records only if no stop was requested; the poll thread, once a
    /// stop is requested, waits for the count to reach zero, produces what was submitted, then flushes and
    /// destroys the handle. Both sides
    /// write one and then read the other, sequentially consistent, so at least one of them sees the other.
    private let stopRequested = Atomic<Bool>(false)
    private let activeSenders = Atomic<Int>(0)
    /// Batches whose records the poll thread has yet to hand to librdkafka, oldest first.
    private let submitted = Mutex<[PendingBatch]>([])
    /// librdkafka's main queue, which `rd_kafka_poll` serves: yielding it wakes the poll thread.
    nonisolated(unsafe) private let mainQueue: OpaquePointer

    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws(KafkaError) {
        self.configuration = configuration
        self.logger = logger
        self.client = try RdKafkaClient(type: RD_KAFKA_PRODUCER, properties: configuration.librdkafkaProperties, logger: logger) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, _ in
                if let message { PendingBatch.deliver(message) }
            }
        }
        mainQueue = rd_kafka_queue_get_main(client.handle)
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
        let topics = records.map(\.topic)
        let outcomes = await send(batchOf: records.count, topics: { topics[$0] }) { writer in
            // Records usually share their headers: they are laid out for C once per distinct list in a row.
            var rendered = CHeaderList(records[0].headers)
            for (index, record) in records.enumerated() {
                if rendered.headers != record.headers { rendered = CHeaderList(record.headers) }
                record.value.withUnsafeBytes { value in
                    withOptionalBytes(record.key) { key in
                        writer.produce(at: index, topic: record.topic, partition: record.partition, key: key, value: value,
                                       headers: rendered)
                    }
                }
            }
        }
        return outcomes.map { $0! }
    }

    /// Runs `fill`, which produces records for some of the indexes below `count` with the writer it is
    /// given, then waits for every produced record's report. An index without a record has a nil result;
    /// `topics` names each record's topic, for its position and errors.
    func send(batchOf count: Int, topics: (Int) -> String, _ fill: (borrowing BatchWriter) -> Void) async
        -> [Result<RecordPosition, KafkaError>?] {
        guard count > 0 else { return [] }
        var batch: PendingBatch!
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            batch = PendingBatch(capacity: count, continuation: continuation)
            activeSenders.add(1, ordering: .sequentiallyConsistent)
            fill(BatchWriter(batch: batch, accepting: !stopRequested.load(ordering: .sequentiallyConsistent)))
            if batch.staged.isEmpty {
                batch.settle()
            } else {
                // The poll thread takes over the hold and lets go of it once every record is in librdkafka.
                submit(batch)
            }
            activeSenders.subtract(1, ordering: .sequentiallyConsistent)
        }
        return (0..<count).map { index -> Result<RecordPosition, KafkaError>? in
            switch batch.deliveries[index].outcome {
            case .reported(RD_KAFKA_RESP_ERR_NO_ERROR, let partition, let offset):
                return .success(RecordPosition(topic: topics(index), partition: partition, offset: offset))
            case .reported(let error, _, _):
                return .failure(KafkaError(error, context: "delivery to \(topics(index)) failed"))
            case .refused(let error):
                return .failure(error)
            case .skipped:
                return nil
            case .pending:
                preconditionFailure("a record of a settled batch has no outcome")
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
                stopRequested.store(true, ordering: .sequentiallyConsistent)
            }
        }
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Queues a filled batch for the poll thread, and wakes it if the queue was empty (a nonempty queue
    /// already has a wake-up on its way, or is being worked through).
    private func submit(_ batch: PendingBatch) {
        let wasEmpty = submitted.withLock { queue in
            queue.append(batch)
            return queue.count == 1
        }
        if wasEmpty { rd_kafka_queue_yield(mainQueue) }
    }

    /// On the poll thread: hands every queued batch's records to librdkafka, in the order the batches came.
    /// Returns whether there were any.
    private func produceSubmitted() -> Bool {
        let batches = submitted.withLock { queue -> [PendingBatch] in
            let taken = queue
            queue = []
            return taken
        }
        for batch in batches { produce(batch) }
        return !batches.isEmpty
    }

    private func produce(_ batch: PendingBatch) {
        let staged = batch.staged
        batch.staged = StagedRecords()
        staged.forEach { record in
            let error: OpaquePointer? = record.topic.withCString { topic in
                bookshelf_rdk_produce(
                    client.handle, topic, record.partition ?? bookshelf_rdk_partition_ua,
                    record.key?.baseAddress, record.key?.count ?? 0,
                    record.value.isEmpty ? nil : record.value.baseAddress, record.value.count,
                    record.headers.names, record.headers.values, record.headers.sizes, record.headers.count,
                    UnsafeMutableRawPointer(batch.deliveries + record.index))
            }
            if let error {
                // A record librdkafka refused gets no delivery report; settle it here.
                let code = rd_kafka_error_code(error)
                rd_kafka_error_destroy(error)
                batch.deliveries[record.index].outcome = .refused(KafkaError(code, context: "could not enqueue a record for \(record.topic)"))
                batch.settle()
            }
            // Serves the reports of records already acknowledged while a long batch goes in.
            if record.position % 256 == 255 { rd_kafka_poll(client.handle, 0) }
        }
        batch.settle()
    }

    private func pollLoop() {
        while !stopRequested.load(ordering: .sequentiallyConsistent) {
            // A sender that queues a batch while this polls yields the main queue, which ends the wait.
            rd_kafka_poll(client.handle, produceSubmitted() ? 0 : 100)
        }
        // Sends that began before the stop finish staging; their records are flushed with the rest.
        while activeSenders.load(ordering: .sequentiallyConsistent) > 0 {
            rd_kafka_poll(client.handle, produceSubmitted() ? 0 : 1)
        }
        _ = produceSubmitted()
        rd_kafka_queue_destroy(mainQueue)
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

/// Headers laid out for C as parallel arrays (NUL-terminated names, values, sizes) in one allocation:
/// made once for the records of a batch that share them, not once per record. Immutable once made.
final class CHeaderList: @unchecked Sendable {
    let headers: [KafkaHeader]
    let count: Int
    private let storage: UnsafeMutableRawPointer?

    init(_ headers: [KafkaHeader]) {
        self.headers = headers
        count = headers.count
        guard !headers.isEmpty else {
            storage = nil
            return
        }
        let arrays = headers.count * (MemoryLayout<UnsafePointer<CChar>?>.stride + MemoryLayout<UnsafeRawPointer?>.stride + MemoryLayout<Int>.stride)
        let bytes = headers.reduce(0) { $0 + $1.name.utf8.count + 1 + $1.value.count }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: arrays + bytes, alignment: MemoryLayout<Int>.alignment)
        self.storage = storage
        let names = storage.bindMemory(to: UnsafePointer<CChar>?.self, capacity: count)
        let values = (storage + count * MemoryLayout<UnsafePointer<CChar>?>.stride).bindMemory(to: UnsafeRawPointer?.self, capacity: count)
        let sizes = (storage + count * 2 * MemoryLayout<UnsafeRawPointer?>.stride).bindMemory(to: Int.self, capacity: count)
        var cursor = storage + arrays
        for (index, header) in headers.enumerated() {
            names[index] = UnsafePointer(cursor.assumingMemoryBound(to: CChar.self))
            for byte in header.name.utf8 {
                cursor.storeBytes(of: byte, as: UInt8.self)
                cursor += 1
            }
            cursor.storeBytes(of: 0, as: UInt8.self)
            cursor += 1
            header.value.withUnsafeBytes { value in
                if let base = value.baseAddress { cursor.copyMemory(from: base, byteCount: value.count) }
            }
            values[index] = UnsafeRawPointer(cursor)
            sizes[index] = header.value.count
            cursor += header.value.count
        }
    }

    deinit { storage?.deallocate() }

    var names: UnsafePointer<UnsafePointer<CChar>?>? {
        storage.map { UnsafePointer($0.assumingMemoryBound(to: UnsafePointer<CChar>?.self)) }
    }

    var values: UnsafePointer<UnsafeRawPointer?>? {
        storage.map { UnsafePointer(($0 + count * MemoryLayout<UnsafePointer<CChar>?>.stride).assumingMemoryBound(to: UnsafeRawPointer?.self)) }
    }

    var sizes: UnsafePointer<Int>? {
        storage.map { UnsafePointer(($0 + count * 2 * MemoryLayout<UnsafeRawPointer?>.stride).assumingMemoryBound(to: Int.self)) }
    }
}
