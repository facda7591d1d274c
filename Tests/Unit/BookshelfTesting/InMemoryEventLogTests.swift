import BookshelfServiceKit
import BookshelfTesting
import Testing

@Suite struct InMemoryEventLogTests {
    struct Outage: ServiceError {
        var code: String { "broker-down" }
        var message: String { "the broker is down" }
        var isRetryable: Bool { true }
    }

    @Test func recordsOfOneKeyShareAPartitionAndTakeItsNextOffsets() throws {
        let log = InMemoryEventLog(partitions: 3)
        let first = try log.append(key: "book-a", value: [1])
        let second = try log.append(key: "book-a", value: [2])
        #expect(second.partition == first.partition)
        #expect(second.offset == first.offset + 1)
        var partitions: Set<Int32> = []
        for index in 0..<30 { partitions.insert(try log.append(key: "book-\(index)", value: []).partition) }
        #expect(partitions == [0, 1, 2])
        #expect(log.count == 32)
        #expect(log.records.map(\.position) == log.positions)
        #expect(log.records.prefix(2).map(\.value) == [[1], [2]])
        #expect(log.lastPositions.offsets.values.reduce(0) { $0 + $1 + 1 } == 32)
    }

    @Test func aReaderReplaysWhatWasThereSaysItCaughtUpThenFollows() async throws {
        let log = InMemoryEventLog(partitions: 1)
        try log.append(key: "k", value: [1])
        try log.append(key: "k", value: [2])
        let source = log.makeSource()
        #expect(source.recordsAtStart == 2)
        var batches = source.batches.makeAsyncIterator()
        #expect(try #require(await batches.next()).map(\.value) == [[1], [2]])
        try log.append(key: "k", value: [3])
        // Asking for the next batch marks the first processed: the reader has caught up.
        #expect(try #require(await batches.next()).map(\.value) == [[3]])
        #expect(await source.caughtUp())
        log.close()
        #expect(try await batches.next() == nil)
    }

    @Test func publishingFailsWhileTheOutageLastsAndWritesNothing() async throws {
        let log = InMemoryEventLog()
        log.failPublishing(with: Outage())
        await #expect(throws: Outage.self) { _ = try await log.publish(OutgoingRecord(key: "k", value: [1], type: "t")) }
        #expect(log.count == 0)
        log.failPublishing(with: nil)
        let position = try await log.publish(OutgoingRecord(key: "k", value: [1], type: "t"))
        #expect(log.positions == [position])
    }

    @Test func deadLettersAreKeptWithTheirReason() async throws {
        let log = InMemoryEventLog()
        let position = try log.append(key: "k", value: Array("poison".utf8))
        let record = try #require(log.records.first)
        let reason = UnreadableEvent(code: "not-a-cloudevent", message: "The record is not JSON.")
        try await log.deadLetter(record, consumer: "reviews", reason: reason)
        #expect(log.deadLetters.map(\.record.position) == [position])
        #expect(log.deadLetters.map(\.consumer) == ["reviews"])
        #expect(log.deadLetters.map(\.reason) == [reason])
    }
}
