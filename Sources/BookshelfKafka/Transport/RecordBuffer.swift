/// The bounded hand-off between a consumer thread and its one async reader. The thread blocks in `push`
/// while the buffer is full, so an undrained stream costs at most `capacity` records of memory.
final class RecordBuffer: @unchecked Sendable {
    private let condition = ConditionLock()
    private let capacity: Int
    // Guarded by `condition`.
    private var batches: [[KafkaRecord]] = []
    private var head = 0
    private var count = 0
    private var waiter: CheckedContinuation<[KafkaRecord]?, Never>?
    private var finished = false

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Blocks while full. Returns false once the buffer has been finished: the caller should stop.
    func push(_ batch: [KafkaRecord]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !finished && waiter == nil && count > 0 && count + batch.count > capacity {
            condition.wait()
        }
        if finished { return false }
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: batch)
        } else {
            batches.append(batch)
            count += batch.count
        }
        return true
    }

    /// The next batch, or nil once finished (or when the reading task is cancelled).
    func next() async -> [KafkaRecord]? {
        switch take(orWait: nil) {
        case .batch(let batch): return batch
        case .finished: return nil
        case .waiting: break
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                switch take(orWait: continuation) {
                case .batch(let batch): continuation.resume(returning: batch)
                case .finished: continuation.resume(returning: nil)
                case .waiting: break
                }
            }
        } onCancel: {
            cancelWaiter()
        }
    }

    /// Wakes the reader with nil, drops what is buffered and releases a blocked `push`.
    func finish() {
        condition.lock()
        finished = true
        batches = []
        head = 0
        count = 0
        let waiter = self.waiter
        self.waiter = nil
        condition.broadcast()
        condition.unlock()
        waiter?.resume(returning: nil)
    }

    private enum Take {
        case batch([KafkaRecord])
        case finished
        case waiting
    }

    private func take(orWait continuation: CheckedContinuation<[KafkaRecord]?, Never>?) -> Take {
        condition.lock()
        defer { condition.unlock() }
        if head < batches.count {
            // Moved out, not copied: a copy left in the slot would keep the batch's records alive until the
            // slot is compacted, and free dozens of batches at once then.
            let batch = batches[head]
            batches[head] = []
            head += 1
            count -= batch.count
            if head > 64 && head * 2 > batches.count {
                batches.removeFirst(head)
                head = 0
            }
            condition.signal()
            return .batch(batch)
        }
        // Checked under the lock so that a cancellation either sees the waiter or is seen here.
        if finished || (continuation != nil && Task.isCancelled) { return .finished }
        if let continuation { waiter = continuation }
        return .waiting
    }

    private func cancelWaiter() {
        condition.lock()
        let waiter = self.waiter
        self.waiter = nil
        condition.unlock()
        waiter?.resume(returning: nil)
    }
}
