import CRdKafka
import Logging
import Synchronization

/// Watches the low watermarks of topics on a broker and warns the moment records disappear.
///
/// The embedded broker drops the oldest records of a partition beyond its 5 MiB cap and says nothing; a
/// rising low watermark is the only sign. A replaying view would then silently miss history.
package final class RetentionWatcher: Sendable {
    /// Records lost from the front of one partition, as counted at one check.
    package struct Drop: Sendable, Equatable {
        package var topic: String
        package var partition: Int32
        /// The partition's low watermark: every record before it is gone.
        package var lowWatermark: Int64
    }

    private let client: RdKafkaClient
    private let topics: [String]
    private let logger: Logger
    /// Low watermark last reported per topic and partition; touched only by `check()`'s caller.
    private let reported = Mutex<[String: Int64]>([:])
    private let stopRequested = Atomic<Bool>(false)
    /// nil once the watching thread has ended (or was never started).
    private let stopWaiters = Mutex<[CheckedContinuation<Void, Never>]?>(nil)

    package init(bootstrapServers: String, topics: [String], logger: Logger) throws(KafkaError) {
        self.client = try RdKafkaClient(
            type: RD_KAFKA_CONSUMER,
            properties: ["bootstrap.servers": bootstrapServers, "client.id": "bookshelf-retention-watcher",
                         "group.id": "bookshelf-retention-watcher", "reconnect.backoff.max.ms": "1000",
                         // Its connection errors while the brokers are down on purpose are noise; its own warnings are what matter.
                         "log_level": "2"],
            logger: logger)
        self.topics = topics
        self.logger = logger
    }

    /// Queries every partition's low watermark (blocking: call it off the cooperative pool) and logs a
    /// warning for each partition whose low watermark rose since the last check. Returns those partitions.
    @discardableResult
    package func check() -> [Drop] {
        var drops: [Drop] = []
        // An unanswered query (the broker down on purpose, say) is checked again next time.
        let partitions = (try? RdKafkaClient.watermarks(client.handle, topics: topics, timeoutMilliseconds: 2_000)) ?? []
        for watermarks in partitions where watermarks.low > 0 {
            let key = "\(watermarks.topic)[\(watermarks.partition)]"
            let rose = reported.withLock { reported -> Bool in
                guard watermarks.low > reported[key, default: 0] else { return false }
                reported[key] = watermarks.low
                return true
            }
            if rose { drops.append(Drop(topic: watermarks.topic, partition: watermarks.partition, lowWatermark: watermarks.low)) }
        }
        for drop in drops {
            logger.warning(
                """
                the embedded broker has dropped the first \(drop.lowWatermark) records of \(drop.topic)[\(drop.partition)]: \
                it keeps at most 5 MiB per partition in memory, so replaying consumers no longer see the full history. \
                Use more partitions (--partitions) or a real Kafka cluster.
                """)
        }
        return drops
    }

    /// Checks every `interval` on a dedicated thread until ``stop()``.
    package func start(every interval: Duration) {
        stopWaiters.withLock { $0 = [] }
        DedicatedThread.start(name: "kafka-retention") { [self] in
            var nextCheck = ContinuousClock.now
            while !stopRequested.load(ordering: .acquiring) {
                if ContinuousClock.now >= nextCheck {
                    check()
                    nextCheck = ContinuousClock.now + interval
                }
                DedicatedThread.sleep(.milliseconds(50))
            }
            let waiting = stopWaiters.withLock { waiters in
                defer { waiters = nil }
                return waiters ?? []
            }
            waiting.forEach { $0.resume() }
        }
    }

    /// Stops the thread started by ``start(every:)`` and waits until it has left librdkafka.
    package func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let running = stopWaiters.withLock { waiters -> Bool in
                guard waiters != nil else { return false }
                waiters?.append(continuation)
                return true
            }
            if running {
                stopRequested.store(true, ordering: .releasing)
            } else {
                continuation.resume()
            }
        }
    }
}
