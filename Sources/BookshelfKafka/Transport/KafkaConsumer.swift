import CRdKafka
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import ServiceLifecycle
import Synchronization

/// A Kafka consumer whose records arrive as an AsyncSequence (``records``), in replay or group mode.
///
/// A dedicated thread runs librdkafka's blocking fetch loop and hands batches to a bounded buffer; when the
/// reader falls behind, the thread stops fetching. The reader's next request is what marks a record as
/// processed: only then does it count towards ``caughtUp()`` and, in group mode, get committed. As a
/// ServiceLifecycle service, `run()` waits for graceful shutdown, then closes the consumer (committing
/// what was processed and leaving the group) and ends the sequence.
public final class KafkaConsumer: Service, Sendable {
    struct TopicPartition: Hashable {
        var topic: String
        var partition: Int32
    }

    private struct Progress {
        /// Per partition, the end offset (high watermark) seen at start that is not yet processed; nil
        /// until the replay assignment is made.
        var remaining: [TopicPartition: Int64]?
        /// Replay: the end offset of every non-empty partition at start, kept whole.
        var endsAtStart: [TopicPartition: Int64]?
        var recordsAtStart: Int?
        var caughtUp = false
        var ended = false
        var caughtUpWaiters: [CheckedContinuation<Bool, Never>] = []
        /// Group mode: the next offset to commit per partition, stored into librdkafka by the thread.
        var toStore: [TopicPartition: Int64] = [:]
        var closedWaiters: [CheckedContinuation<Void, Never>] = []
        var closed = false
    }

    public let configuration: KafkaConsumerConfiguration
    let client: RdKafkaClient
    private let logger: Logger
    private let buffer: RecordBuffer
    private let progress = Mutex(Progress())
    private let stopRequested = Atomic<Bool>(false)
    /// Records per hand-off. Small enough that a batch's arrays (and the reader's decoded events) stay
    /// under glibc's 64 KiB free threshold: freeing a larger block consolidates every small free chunk,
    /// which cost 7% of a replay at 1,000 records a batch.
    private static let batchSize = 256

    public init(configuration: KafkaConsumerConfiguration, logger: Logger) throws(KafkaError) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "kafka.consumer"] = "\(configuration.name)"
        self.logger = logger
        self.buffer = RecordBuffer(capacity: configuration.bufferCapacity)
        self.client = try RdKafkaClient(type: RD_KAFKA_CONSUMER, properties: configuration.librdkafkaProperties, logger: logger)
        if case .group = configuration.mode {
            progress.withLock { $0.caughtUp = true }
        }
        DedicatedThread.start(name: "kafka-consumer-\(configuration.name)") { [self] in consumeLoop() }
    }

    /// The consumed records, in order per partition. Read it from one task only.
    public var records: KafkaConsumerRecords { KafkaConsumerRecords(consumer: self) }

    /// The records in the batches the consumer thread fetched them in, for a reader that handles many at
    /// once. Asking for the next batch marks every record of the previous one as processed. Read either
    /// `records` or `batches`, from one task.
    public var batches: KafkaConsumerBatches { KafkaConsumerBatches(consumer: self) }

    /// Waits until every record that existed when the consumer started has been processed (the reader
    /// asked for the record after it). Returns false if the consumer shut down first. In group mode a
    /// group has no fixed end, so it returns false at once.
    public func caughtUp() async -> Bool {
        if case .group = configuration.mode { return false }
        return await withCheckedContinuation { continuation in
            let result = progress.withLock { progress -> Bool? in
                if progress.caughtUp { return true }
                if progress.ended { return false }
                progress.caughtUpWaiters.append(continuation)
                return nil
            }
            if let result { continuation.resume(returning: result) }
        }
    }

    /// Replay: how many records lay between the beginning and the end offsets seen at start, set before the
    /// first record is handed over; nil until then, and in group mode.
    public var recordsAtStart: Int? {
        progress.withLock { progress in progress.recordsAtStart }
    }

    /// Replay: per non-empty partition, the end offset (high watermark) seen at start, set with
    /// ``recordsAtStart``; a record at or past it was written after the consumer started.
    package var endOffsetsAtStart: [RecordPosition]? {
        progress.withLock { progress in
            progress.endsAtStart.map { ends in
                ends.map { RecordPosition(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value) }
                    .sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
            }
        }
    }

    /// Whether ``caughtUp()`` would return true now: for a readiness check that must not wait.
    public var isCaughtUp: Bool {
        if case .group = configuration.mode { return false }
        return progress.withLock { $0.caughtUp }
    }

    /// Stops fetching, commits what was processed (group mode), closes the consumer and ends ``records``.
    public func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let closed = progress.withLock { progress -> Bool in
                if progress.closed { return true }
                progress.closedWaiters.append(continuation)
                return false
            }
            if closed {
                continuation.resume()
            } else {
                stopRequested.store(true, ordering: .releasing)
                // Releases the thread if it is blocked on a full buffer.
                buffer.finish()
            }
        }
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    // MARK: - Reader side

    func nextBatch() async -> [KafkaRecord]? { await buffer.next() }

    func markProcessed(_ position: RecordPosition) {
        markProcessed(CollectionOfOne(position))
    }

    /// Marks records processed under one lock; `positions` are in order within each partition.
    func markProcessed(_ positions: some Sequence<RecordPosition>) {
        let reachedEnd = progress.withLock { progress -> [CheckedContinuation<Bool, Never>] in
            for position in positions {
                let key = TopicPartition(topic: position.topic, partition: position.partition)
                if case .group = configuration.mode {
                    progress.toStore[key] = position.offset + 1
                    continue
                }
                guard !progress.caughtUp, let end = progress.remaining?[key], position.offset + 1 >= end else { continue }
                progress.remaining?[key] = nil
                guard progress.remaining?.isEmpty == true else { continue }
                progress.caughtUp = true
                defer { progress.caughtUpWaiters = [] }
                return progress.caughtUpWaiters
            }
            return []
        }
        if !reachedEnd.isEmpty { logger.info("caught up with the records that existed at start") }
        reachedEnd.forEach { $0.resume(returning: true) }
    }

    // MARK: - Consumer thread

    private func consumeLoop() {
        let rk = client.handle
        rd_kafka_poll_set_consumer(rk)
        start()
        var topicNames = TopicNames()
        var sharedHeaders = SharedHeaders()
        while !stopRequested.load(ordering: .acquiring) {
            storeProcessedOffsets()
            // rd_kafka_consumer_poll also serves rebalances and errors; after the first record, draining
            // what is already fetched without waiting makes a batch for one hand-off to the reader.
            var batch = [KafkaRecord]()
            var message = rd_kafka_consumer_poll(rk, 100)
            // One allocation at full size instead of a doubling series: every growth past 1 KiB made glibc
            // consolidate its free lists.
            if message != nil { batch.reserveCapacity(Self.batchSize) }
            while let current = message {
                if current.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    batch.append(Self.record(from: current, topicNames: &topicNames, headers: &sharedHeaders))
                } else {
                    let error = KafkaError(current.pointee.err, context: "consumer error")
                    logger.warning("\(error.message)", metadata: ["kafka.error.code": "\(error.code.rawValue)"])
                }
                rd_kafka_message_destroy(current)
                message = batch.count < Self.batchSize ? rd_kafka_consumer_poll(rk, 0) : nil
            }
            if !batch.isEmpty && !buffer.push(batch) { break }
        }
        storeProcessedOffsets()
        let closeError = rd_kafka_consumer_close(rk)
        if closeError != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("closing the consumer failed: \(String(cString: rd_kafka_err2str(closeError)))")
        }
        client.destroy()
        buffer.finish()
        let (caughtUpWaiters, closedWaiters) = progress.withLock { progress in
            progress.ended = true
            progress.closed = true
            defer {
                progress.caughtUpWaiters = []
                progress.closedWaiters = []
            }
            return (progress.caughtUpWaiters, progress.closedWaiters)
        }
        caughtUpWaiters.forEach { $0.resume(returning: false) }
        closedWaiters.forEach { $0.resume() }
    }

    /// Replay: learn the partitions and their end offsets, then assign them from the beginning, retrying
    /// until the topics exist and the broker answers. Group: subscribe.
    private func start() {
        switch configuration.mode {
        case .group:
            let list = rd_kafka_topic_partition_list_new(Int32(configuration.topics.count))
            defer { rd_kafka_topic_partition_list_destroy(list) }
            for topic in configuration.topics {
                rd_kafka_topic_partition_list_add(list, topic, bookshelf_rdk_partition_ua)
            }
            let err = rd_kafka_subscribe(client.handle, list)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                logger.error("could not subscribe to \(configuration.topics): \(String(cString: rd_kafka_err2str(err)))")
            }
        case .replay:
            while !stopRequested.load(ordering: .acquiring) {
                do {
                    try assignFromBeginning()
                    return
                } catch {
                    logger.warning("replay cannot start yet, retrying in 1 s: \(error.message)")
                    DedicatedThread.sleep(.seconds(1))
                }
            }
        }
    }

    private func assignFromBeginning() throws(KafkaError) {
        let rk = client.handle
        var ends: [TopicPartition: Int64] = [:]
        var records = 0
        var partitions: [TopicPartition] = []
        for watermarks in try RdKafkaClient.watermarks(rk, topics: configuration.topics, timeoutMilliseconds: 5_000) {
            let key = TopicPartition(topic: watermarks.topic, partition: watermarks.partition)
            partitions.append(key)
            if watermarks.high > watermarks.low {
                ends[key] = watermarks.high
                records += Int(watermarks.high - watermarks.low)
            }
        }
        progress.withLock { progress in
            progress.remaining = ends
            progress.endsAtStart = ends
            progress.recordsAtStart = records
            if ends.isEmpty { progress.caughtUp = true }
        }
        if ends.isEmpty {
            let waiters = progress.withLock { progress in
                defer { progress.caughtUpWaiters = [] }
                return progress.caughtUpWaiters
            }
            waiters.forEach { $0.resume(returning: true) }
        }
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for key in partitions {
            rd_kafka_topic_partition_list_add(list, key.topic, key.partition).pointee.offset = bookshelf_rdk_offset_beginning
        }
        let err = rd_kafka_assign(rk, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(code: .metadata, message: "assigning \(partitions.count) partitions: \(String(cString: rd_kafka_err2str(err)))",
                             isRetryable: true, rdKafkaCode: err.rawValue)
        }
        logger.debug("replaying \(partitions.count) partitions, \(records) records behind the end offsets")
    }

    static func partitionCount(_ rk: OpaquePointer, topic: String) throws(KafkaError) -> Int32 {
        let rkt = rd_kafka_topic_new(rk, topic, nil)
        defer { rd_kafka_topic_destroy(rkt) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(rk, 0, rkt, &metadata, 5_000)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError(code: .metadata, message: "metadata of \(topic): \(String(cString: rd_kafka_err2str(err)))",
                             isRetryable: true, rdKafkaCode: err.rawValue)
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt == 1, metadata.pointee.topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR,
              metadata.pointee.topics[0].partition_cnt > 0 else {
            let topicErr = metadata.pointee.topic_cnt == 1 ? metadata.pointee.topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
            throw KafkaError(code: .metadata, message: "topic \(topic) is not available: \(String(cString: rd_kafka_err2str(topicErr)))",
                             isRetryable: true, rdKafkaCode: topicErr.rawValue)
        }
        return metadata.pointee.topics[0].partition_cnt
    }

    private func storeProcessedOffsets() {
        guard case .group = configuration.mode else { return }
        let offsets = progress.withLock { progress in
            defer { progress.toStore = [:] }
            return progress.toStore
        }
        guard !offsets.isEmpty else { return }
        let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (key, offset) in offsets {
            rd_kafka_topic_partition_list_add(list, key.topic, key.partition).pointee.offset = offset
        }
        // Fails for partitions revoked meanwhile; their new owner re-reads those records.
        _ = rd_kafka_offsets_store(client.handle, list)
    }

    /// Remembers the last topic name so that a batch from one partition creates one String, not one per record.
    private struct TopicNames {
        var handle: OpaquePointer?
        var name = ""

        mutating func name(of rkt: OpaquePointer) -> String {
            if rkt != handle {
                handle = rkt
                name = String(cString: rd_kafka_topic_name(rkt))
            }
            return name
        }
    }

    /// Remembers the last record's headers: the records of one producer carry the same ones (the events'
    /// content type), and reusing the array saves two allocations per record and their frees on the reader.
    private struct SharedHeaders {
        var last: [KafkaHeader] = []

        mutating func headers(of message: UnsafeMutablePointer<rd_kafka_message_t>) -> [KafkaHeader] {
            var hdrs: OpaquePointer?
            guard rd_kafka_message_headers(message, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs else { return [] }
            if Self.headers(hdrs, equal: last) { return last }
            var headers: [KafkaHeader] = []
            Self.forEach(hdrs) { name, value in
                headers.append(KafkaHeader(name: String(decoding: name, as: UTF8.self), value: Array(value)))
                return true
            }
            last = headers
            return headers
        }

        private static func headers(_ hdrs: OpaquePointer, equal known: [KafkaHeader]) -> Bool {
            guard !known.isEmpty, rd_kafka_header_cnt(hdrs) == known.count else { return false }
            var index = 0
            var equal = true
            forEach(hdrs) { name, value in
                let header = known[index]
                index += 1
                equal = same(header.name.utf8, name) && same(header.value, value)
                return equal
            }
            return equal
        }

        /// One memcmp where the bytes are contiguous (native strings and arrays are), instead of a byte loop.
        private static func same(_ bytes: some Collection<UInt8>, _ other: UnsafeRawBufferPointer) -> Bool {
            guard bytes.count == other.count else { return false }
            guard let base = other.baseAddress, other.count > 0 else { return true }
            return bytes.withContiguousStorageIfAvailable { memcmp($0.baseAddress!, base, other.count) == 0 }
                ?? bytes.elementsEqual(other)
        }

        /// Calls `body` with each header's name and value bytes until it returns false. A header without a
        /// value reads as an empty one, as it does without a name.
        private static func forEach(_ hdrs: OpaquePointer, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Bool) {
            var index = 0
            var name: UnsafePointer<CChar>?
            var bytes: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(hdrs, index, &name, &bytes, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let nameBytes = UnsafeRawBufferPointer(start: name, count: name.map { strlen($0) } ?? 0)
                guard body(nameBytes, UnsafeRawBufferPointer(start: bytes, count: bytes == nil ? 0 : size)) else { return }
                index += 1
            }
        }
    }

    private static func record(from message: UnsafeMutablePointer<rd_kafka_message_t>, topicNames: inout TopicNames,
                               headers: inout SharedHeaders) -> KafkaRecord {
        let m = message.pointee
        let value = m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) } ?? []
        let key = m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        return KafkaRecord(
            position: RecordPosition(topic: topicNames.name(of: m.rkt), partition: m.partition, offset: m.offset),
            key: key, value: value, headers: headers.headers(of: message),
            timestamp: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp)
    }
}

/// The records of a ``KafkaConsumer``. Asking for the next record marks the previous one as processed.
public struct KafkaConsumerRecords: AsyncSequence, Sendable {
    public typealias Element = KafkaRecord
    let consumer: KafkaConsumer

    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: KafkaConsumer
        var batch: [KafkaRecord] = []
        var index = 0
        var lastYielded: RecordPosition?

        public mutating func next() async -> KafkaRecord? {
            if let last = lastYielded {
                consumer.markProcessed(last)
                lastYielded = nil
            }
            if index == batch.count {
                guard let next = await consumer.nextBatch() else { return nil }
                batch = next
                index = 0
            }
            let record = batch[index]
            index += 1
            lastYielded = record.position
            return record
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(consumer: consumer) }
}

/// The record batches of a ``KafkaConsumer``. Asking for the next batch marks the previous one processed.
public struct KafkaConsumerBatches: AsyncSequence, Sendable {
    public typealias Element = [KafkaRecord]
    let consumer: KafkaConsumer

    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: KafkaConsumer
        var previous: [KafkaRecord] = []

        public mutating func next() async -> [KafkaRecord]? {
            if !previous.isEmpty {
                consumer.markProcessed(previous.lazy.map(\.position))
                previous = []
            }
            guard let batch = await consumer.nextBatch() else { return nil }
            previous = batch
            return batch
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(consumer: consumer) }
}
