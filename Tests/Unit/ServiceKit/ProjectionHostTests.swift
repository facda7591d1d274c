import Foundation
import Logging
import ServiceKit
import Testing

/// Counts added books; enough to see what the host applies.
struct AddedCount: Projection {
    var seen = SeenEvents()
    var count = 0
    init() {}
    mutating func apply(_ event: BookEvent) -> ApplyOutcome {
        guard seen.insert(event.id) else { return .duplicate }
        if case .added = event.kind { count += 1 }
        return .applied
    }
}

@Suite struct ProjectionHostTests {
    let codec = EventCodec(source: "/bookshelf/new-book")

    func added(_ id: UUID = UUID()) throws -> [UInt8] {
        let book = Book(id: UUID(), title: "T", author: "A", published: 2000)
        return try codec.encode(BookEvent(id: id, time: Date(), kind: .added(book, idempotencyKey: nil)))
    }

    @Test func replaysAppliesOnceDeadLettersAndBecomesReady() async throws {
        let log = InMemoryEventLog()
        let duplicate = UUID()
        try log.append(key: "a", value: try added(duplicate))
        try log.append(key: "a", value: try added(duplicate))
        try log.append(key: "b", value: Array("garbage".utf8))
        try log.append(key: "c", value: try added())
        let readiness = Readiness()
        let host = ProjectionHost<AddedCount>(
            consumer: "test", source: log.makeSource(), deadLetters: log, readiness: readiness,
            metrics: ServiceMetrics(), logger: Logger(label: "test")
        )
        #expect(!readiness.isReady)
        let running = Task { try await host.run() }
        try await readiness.waitUntilReady()
        #expect(host.read { projection, _ in projection.count } == 2)
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
}
