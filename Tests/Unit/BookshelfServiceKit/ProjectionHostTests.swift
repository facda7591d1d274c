import BookshelfContracts
import BookshelfTesting
import Foundation
import HTTPTypes
import Logging
import BookshelfServiceKit
import Testing

/// Counts added books and keeps their titles in the order applied; enough to see what the host applies.
struct AddedCount: Projection {
    var seen = SeenEvents()
    var count = 0
    var titles: [String] = []
    /// What the host said the topic held before replay began, or nil if it never said.
    var reservedFor: Int?
    init() {}
    mutating func reserveCapacity(forRecords count: Int) {
        reservedFor = count
    }
    mutating func apply(_ event: TitleEvent) -> ApplyOutcome {
        guard seen.insert(event.id) else { return .duplicate }
        if let title = event.title {
            count += 1
            titles.append(title)
        }
        return .applied
    }
}

@Suite struct ProjectionHostTests {
    let contracts = Result { () throws(ContractError) in try ContractsLocation.load(flag: nil, environmentVariable: "BOOKSHELF_CONTRACTS") }

    /// A host of `AddedCount` replaying `log`, dead-lettering into it, named "test".
    func host(over log: InMemoryEventLog, readiness: Readiness) throws -> ProjectionHost<AddedCount> {
        ProjectionHost<AddedCount>(
            consumer: "test", source: log.makeSource(), deadLetters: log, contracts: try contracts.get(), readiness: readiness,
            metrics: ServiceMetrics(namespace: "bookshelf"), positionHeaders: Self.positionHeaders, logger: Logger(label: "test")
        )
    }

    static let positionHeaders = PositionHeaders(written: HTTPField.Name("X-Test-Position")!, minimum: HTTPField.Name("X-Test-Min-Position")!)

    func added(_ id: UUID = UUID(), title: String = "T") throws -> [UInt8] {
        try EventCodec<TitleEvent>(source: "/bookshelf/new-book", contracts: contracts.get()).encode(.added(title, id: id))
    }

    @Test func replaysAppliesOnceDeadLettersAndBecomesReady() async throws {
        let log = InMemoryEventLog()
        let duplicate = UUID()
        try log.append(key: "a", value: try added(duplicate))
        try log.append(key: "a", value: try added(duplicate))
        try log.append(key: "b", value: Array("garbage".utf8))
        try log.append(key: "c", value: try added())
        let readiness = Readiness()
        let host = try host(over: log, readiness: readiness)
        #expect(!readiness.isReady)
        let running = Task { try await host.run() }
        try await readiness.waitUntilReady()
        #expect(host.read { projection, _ in projection.count } == 2)
        #expect(host.read { projection, _ in projection.reservedFor } == 4)
        #expect(log.deadLetters.map(\.reason.code) == ["not-a-cloudevent"])
        #expect(log.deadLetters.first?.consumer == "test")
        let position = try log.append(key: "d", value: try added())
        #expect(await host.waitUntilApplied(PositionVector([position]), timeout: .seconds(5)))
        #expect(host.read { projection, _ in projection.count } == 3)
        #expect(await !host.waitUntilApplied(PositionVector([EventPosition(partition: 0, offset: 999)]), timeout: .milliseconds(20)))
        log.close()
        running.cancel()
        try await running.value
    }

    /// A replay large enough to be decoded in two halves at once (300 records in one batch) still applies in the log's order, once,
    /// and dead-letters exactly the unreadable records, wherever they fall in the batch.
    @Test func aLargeBatchIsAppliedInOrderWithItsPoisonDeadLettered() async throws {
        let log = InMemoryEventLog(partitions: 1)
        var expected: [String] = []
        var poison: [EventPosition] = []
        for index in 0..<300 {
            if index % 37 == 5 {
                poison.append(try log.append(key: "k", value: Array("{\"not\": \"an event\" \(index)".utf8)))
            } else {
                try log.append(key: "k", value: try added(title: "book \(index)"))
                expected.append("book \(index)")
            }
        }
        let readiness = Readiness()
        let host = try host(over: log, readiness: readiness)
        let running = Task { try await host.run() }
        try await readiness.waitUntilReady()
        #expect(host.read { projection, _ in projection.titles } == expected)
        #expect(log.deadLetters.map(\.record.position) == poison)
        #expect(host.read { _, applied in applied.covers(PositionVector([EventPosition(partition: 0, offset: Int64(log.count - 1))])) })
        log.close()
        running.cancel()
        try await running.value
    }

    /// contracts/ decide what is applied, not the reader's own field checks: events that read fine but break
    /// their schema (a five-digit year, a blank title) are dead-lettered, and the next one is applied.
    @Test func anEventItsContractRefusesIsDeadLetteredAndNeverApplied() async throws {
        let log = InMemoryEventLog(partitions: 1)
        let text = String(decoding: try added(title: "Dune"), as: UTF8.self)
        let fiveDigitYear = text.replacingOccurrences(of: #""published":"2000""#, with: #""published":"10000""#)
        let blankTitle = text.replacingOccurrences(of: #""title":"Dune""#, with: #""title":" ""#)
        #expect(fiveDigitYear != text && blankTitle != text)
        let refused = [try log.append(key: "k", value: Array(fiveDigitYear.utf8)), try log.append(key: "k", value: Array(blankTitle.utf8))]
        try log.append(key: "k", value: try added(title: "kept"))
        let readiness = Readiness()
        let host = try host(over: log, readiness: readiness)
        let running = Task { try await host.run() }
        try await readiness.waitUntilReady()
        #expect(host.read { projection, _ in projection.titles } == ["kept"])
        #expect(log.deadLetters.map(\.record.position) == refused)
        #expect(log.deadLetters.map(\.reason.code) == ["invalid-event", "invalid-event"])
        #expect(log.deadLetters.first?.reason.message.contains("/data/published") == true)
        #expect(log.deadLetters.last?.reason.message.contains("/data/title") == true)
        log.close()
        running.cancel()
        try await running.value
    }

    /// Batches are decoded while the one before them is applied, and the source counts a batch as processed
    /// as soon as the next one is asked for; readiness must still mean that everything present at start has
    /// been applied. Decoding 2,000 records (outside the lock a reader takes) leaves a wide window to
    /// answer ready too early, and the start is repeated, since which thread picks up what is scheduling.
    @Test func readinessWaitsUntilEveryRecordPresentAtStartIsApplied() async throws {
        let log = InMemoryEventLog(partitions: 1)
        for index in 0..<2_000 { try log.append(key: "k", value: try added(title: "book \(index)")) }
        var runs: [Task<Void, any Error>] = []
        for _ in 0..<3 {
            let readiness = Readiness()
            let host = try host(over: log, readiness: readiness)
            runs.append(Task { try await host.run() })
            try await readiness.waitUntilReady()
            #expect(host.read { projection, _ in projection.count } == 2_000)
        }
        log.close()
        for run in runs {
            run.cancel()
            try await run.value
        }
    }
}
