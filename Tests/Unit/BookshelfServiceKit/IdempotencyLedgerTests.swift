import BookshelfContracts
import BookshelfServiceKit
import BookshelfTesting
import Foundation
import Logging
import Testing

/// Remembers which key added which title, as a service's projection would.
struct TitlesByKey: IdempotentProjection {
    var seen = SeenEvents()
    var idempotencyKeys = IdempotencyLedger<String>()
    init() {}
    mutating func apply(_ event: TitleEvent) -> ApplyOutcome {
        guard seen.insert(event.id) else { return .duplicate }
        return .applied
    }
}

/// A broker that refuses every record.
struct RefusingPublisher: EventPublisher {
    struct Refused: Error {}
    func publish(_ record: OutgoingRecord) async throws -> EventPosition { throw Refused() }
}

@Suite struct IdempotencyLedgerTests {
    let contracts = Result { () throws(ContractError) in try ContractsLocation.load(flag: nil, environmentVariable: "BOOKSHELF_CONTRACTS") }

    @Test func aNewKeyMayGoAheadAndIsInFlightOnceReserved() throws {
        var ledger = IdempotencyLedger<String>()
        #expect(try ledger.check("k") == nil)
        #expect(ledger.lookup("k") == .new)
        ledger.reserve("k")
        #expect(ledger.lookup("k") == .inFlight)
        let problem = #expect(throws: Problem.self) { try ledger.check("k") }
        #expect(problem?.status == .conflict)
        #expect(problem?.code == "idempotency-key-in-use")
        #expect(problem?.isRetryable == true)
        #expect(problem?.retryAfter == 1)
    }

    @Test func anAcknowledgedKeyAnswersItsValueWithItsPosition() throws {
        var ledger = IdempotencyLedger<String>()
        ledger.reserve("k")
        let position = EventPosition(partition: 2, offset: 7)
        ledger.finish(key: "k", with: ("Dune", position))
        #expect(ledger.lookup("k") == .done("Dune", position: position))
        let answer = try #require(try ledger.check("k"))
        #expect(answer.value == "Dune")
        #expect(answer.position == position)
        #expect(ledger.answered == ["k": "Dune"])
    }

    @Test func aFailedWriteReleasesItsKey() throws {
        var ledger = IdempotencyLedger<String>()
        ledger.reserve("k")
        ledger.finish(key: "k", with: nil)
        #expect(ledger.lookup("k") == .new)
        #expect(try ledger.check("k") == nil)
        #expect(ledger.answered.isEmpty)
    }

    @Test func replayLearnsKeysWithoutAPositionAndKeepsTheFirstAnswer() throws {
        var ledger = IdempotencyLedger<String>()
        ledger.learn(key: "k", value: "Dune")
        ledger.learn(key: "k", value: "Emma")
        #expect(ledger.lookup("k") == .done("Dune", position: nil))
        // The event of a key this process wrote comes back through the topic: the position it went to stays.
        ledger.reserve("w")
        ledger.finish(key: "w", with: ("Ulysses", EventPosition(partition: 0, offset: 3)))
        ledger.learn(key: "w", value: "Ulysses")
        #expect(ledger.lookup("w") == .done("Ulysses", position: EventPosition(partition: 0, offset: 3)))
    }

    @Test func keysAreOneTo255VisibleASCIICharacters() {
        for usable in ["k", "!~", String(repeating: "k", count: 255), "550e8400-e29b-41d4-a716-446655440000"] {
            #expect(IdempotencyLedger<String>.isUsableKey(usable), "\(usable) should be usable")
        }
        let ledger = IdempotencyLedger<String>()
        for refused in ["", "with space", String(repeating: "k", count: 256), "tab\t", "é", "del\u{7F}"] {
            #expect(!IdempotencyLedger<String>.isUsableKey(refused), "\(refused) should be refused")
            let problem = #expect(throws: Problem.self) { try ledger.check(refused) }
            #expect(problem?.status == .badRequest)
            #expect(problem?.code == "invalid-idempotency-key")
            #expect(problem?.detail == "Idempotency-Key must be 1 to 255 visible ASCII characters.")
        }
    }

    func host(over log: InMemoryEventLog) throws -> ProjectionHost<TitlesByKey> {
        ProjectionHost<TitlesByKey>(
            consumer: "test", source: log.makeSource(), deadLetters: log, contracts: try contracts.get(), readiness: Readiness(),
            metrics: ServiceMetrics(namespace: "bookshelf"), positionHeaders: ProjectionHostTests.positionHeaders, logger: Logger(label: "test")
        )
    }

    @Test func anAcknowledgedPublishRecordsItsAnswerAndPosition() async throws {
        let log = InMemoryEventLog()
        let host = try host(over: log)
        let codec = EventCodec<TitleEvent>(source: "/bookshelf/new-book", contracts: try contracts.get())
        host.update { $0.idempotencyKeys.reserve("k") }
        let position = try await host.publish(.added("Dune"), with: codec, answering: "Dune", idempotencyKey: "k", through: log)
        #expect(host.read { state, _ in state.idempotencyKeys.lookup("k") } == .done("Dune", position: position))
        #expect(host.writtenPosition(ofReplayed: position) == position.description)
    }

    @Test func aRefusedPublishReleasesItsKeyAndRethrows() async throws {
        let host = try host(over: InMemoryEventLog())
        let codec = EventCodec<TitleEvent>(source: "/bookshelf/new-book", contracts: try contracts.get())
        host.update { $0.idempotencyKeys.reserve("k") }
        await #expect(throws: RefusingPublisher.Refused.self) {
            try await host.publish(.added("Dune"), with: codec, answering: "Dune", idempotencyKey: "k", through: RefusingPublisher())
        }
        #expect(host.read { state, _ in state.idempotencyKeys.lookup("k") } == .new)
    }

    @Test func anEventItsContractRefusesReleasesItsKey() async throws {
        let log = InMemoryEventLog()
        let host = try host(over: log)
        let codec = EventCodec<TitleEvent>(source: "/bookshelf/new-book", contracts: try contracts.get())
        host.update { $0.idempotencyKeys.reserve("k") }
        await #expect(throws: EventContractViolation.self) {
            try await host.publish(.added(""), with: codec, answering: "", idempotencyKey: "k", through: log)
        }
        #expect(host.read { state, _ in state.idempotencyKeys.lookup("k") } == .new)
        #expect(log.count == 0)
    }

    @Test func aKeyLearnedByReplayReportsThePositionsApplied() throws {
        let host = try host(over: InMemoryEventLog())
        #expect(host.writtenPosition(ofReplayed: nil) == host.read { _, applied in applied.description })
    }
}
