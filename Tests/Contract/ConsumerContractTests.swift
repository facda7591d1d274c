import BookRead
import BookshelfJSON
import BookshelfTesting
import Foundation
import LastRead
import ListBooks
import Logging
import NewBook
import BookshelfDomain
import BookshelfServiceKit
import Testing

/// asyncapi.json's receive operations, checked on the real projections running in their real host over an
/// in-memory events log: every valid example of every message on the channel is fed to every consumer
/// (accepted with the state change it implies when declared, ignored when not), every invalid example is
/// dead-lettered with a reason, leaves the state alone, and the consumer goes on.
enum ConsumerPhase {
    static let report = Task { await run() }
    static let topic = "bookshelf.events"

    static func run() async -> Report {
        var report = Report()
        report.merge(await exercise(NewBookState.self, service: "new-book") { state in
            json(state.booksByKey.mapValues { $0 })
        })
        report.merge(await exercise(KnownBooks.self, service: "book-read") { state in
            json(state.ids.map { $0.uuidString.lowercased() }.sorted())
        })
        report.merge(await exercise(BookList.self, service: "list-books") { json($0.books) })
        report.merge(await exercise(LastReadBooks.self, service: "last-read") { json($0.lastRead) })
        return report
    }

    static func json(_ value: some Encodable) -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? JSONValue(parsing: Array(encoder.encode(value)))) ?? .null
    }

    /// One consumer against every example on its channel.
    static func exercise<P: Projection>(_ type: P.Type, service: String, snapshot: @escaping @Sendable (P) -> JSONValue) async -> Report {
        let contracts = ContractSet.shared
        var report = Report()
        let receives = contracts.operations(.receive, of: service)
        for message in contracts.channelMessages(topic: topic) where message.eventType != nil {
            let operation = receives.first { $0.messages.contains { $0.id == message.id } }
            let folder = "events/" + (message.eventType ?? "")
            let examples = contracts.examples(folder, valid: true).filter { $0.json?["dataschema"]?.string == message.dataschema }
            if let operation, examples.isEmpty {
                report.findings.append(Finding(contract: "contracts/" + folder, pointer: "", instance: "", message: "\(message.id) has no valid example to feed \(service) (\(operation.id))"))
            }
            for example in examples {
                await feedValid(example, message: message, operation: operation, service: service, snapshot: snapshot, into: &report)
            }
        }
        // Invalid events of the types it receives, and invalid envelopes: every one dead-lettered.
        let types = Set(receives.flatMap { $0.messages.compactMap(\.eventType) })
        let invalid = types.sorted().flatMap { contracts.examples("events/" + $0, valid: false) } + contracts.examples("cloudevents", valid: false)
        for example in invalid {
            await feedInvalid(example, service: service, snapshot: snapshot, into: &report)
        }
        return report
    }

    static func feedValid<P: Projection>(_ example: Example, message: AsyncMessage, operation: AsyncOperation?, service: String, snapshot: @escaping @Sendable (P) -> JSONValue, into report: inout Report) async {
        guard let event = example.json, let data = event["data"] else { return }
        let bookID = data["id"]?.string ?? ""
        let isFinished = message.eventType == BookshelfEvents.bookFinished
        // A finished book must have been added first, or last-read rightly refuses it.
        let prelude = isFinished ? [Events.added(bookID: bookID)] : []
        var follow: [[UInt8]] = []
        if !isFinished && service == "last-read" { follow = [Events.finished(bookID: bookID)] }
        let run = await Feed<P>.run(prelude: prelude, record: example.bytes, after: follow, snapshot: snapshot)
        report.tallies[service, default: Report.Tally()].consumed += 1
        let at = "\(service) fed \(example.file)"
        report.check(service, run.deadLetters.isEmpty, Finding(contract: example.file, pointer: "", instance: "", message: "\(at): dead-lettered a valid event: \(run.deadLetters.first?.reason ?? "")"))
        guard let operation else {
            report.check(service, run.before == run.after, Finding(contract: ContractSet.asyncAPIFile, pointer: "/operations", instance: "", message: "\(at): its state changed, so it receives \(message.id), but no receive operation of \(service) declares it"))
            return
        }
        report.cover("receive", operation.id, message.id)
        let book = Events.book(from: data)
        let implied: Bool
        switch (service, isFinished) {
        case ("list-books", false): implied = run.after.elements.last == book && run.after.count == run.before.count + 1
        case ("book-read", false): implied = run.after.elements.contains(.string(bookID))
        case ("new-book", false):
            implied = data["idempotencyKey"]?.string.map { run.after[$0]?["id"]?.string == bookID } ?? (run.after == run.before)
        case ("last-read", false): implied = run.after.elements.first == book
        case ("last-read", true): implied = run.after.elements.first?["id"]?.string == bookID
        default: implied = run.before != run.after
        }
        report.check(service, implied, Finding(contract: example.file, pointer: "/data", instance: "", message: "\(at): the state after it is \(run.after.serialized()), which is not what the example implies (before: \(run.before.serialized()))"))
    }

    static func feedInvalid<P: Projection>(_ example: Example, service: String, snapshot: @escaping @Sendable (P) -> JSONValue, into report: inout Report) async {
        // Added then finished: every consumer's state shows one or the other.
        let next = [Events.added(bookID: Events.livenessBook), Events.finished(bookID: Events.livenessBook)]
        let run = await Feed<P>.run(prelude: [], record: example.bytes, after: next, snapshot: snapshot)
        report.tallies[service, default: Report.Tally()].consumed += 1
        let at = "\(service) fed \(example.file)"
        let letter = run.deadLetters.first
        report.check(service, letter != nil && !(letter!.reason.isEmpty), Finding(contract: example.file, pointer: "", instance: "", message: "\(at): an invalid event was not dead-lettered with a reason"))
        if letter != nil { report.tallies[service, default: Report.Tally()].deadLettered += 1 }
        report.check(service, run.afterRecord == run.before, Finding(contract: example.file, pointer: "", instance: "", message: "\(at): an invalid event changed the state to \(run.afterRecord.serialized())"))
        report.check(service, run.followedApplied && run.after != run.afterRecord, Finding(contract: example.file, pointer: "", instance: "", message: "\(at): the consumer did not go on to apply the next valid event"))
    }
}

/// Builds events from the contracts' own valid examples, changing only ids and times.
enum Events {
    static let livenessBook = "0b5e1c4d-7a2f-4e61-9c3b-5d8e2f1a7c90"

    static func template(_ type: String) -> [String: Any] {
        let example = ContractSet.shared.examples("events/" + type, valid: true).last { $0.json?["dataschema"]?.string == EventCodec<BookEvent>(contracts: repositoryContracts).dataschema(of: type) }
        return (example.flatMap { try? JSONSerialization.jsonObject(with: Data($0.bytes)) } as? [String: Any]) ?? [:]
    }

    static func rewrite(_ type: String, bookID: String, time: String) -> [UInt8] {
        var event = template(type)
        var data = event["data"] as? [String: Any] ?? [:]
        data["id"] = bookID
        // A key makes the book visible in new-book's state too, so every consumer's state shows the event.
        if type == BookshelfEvents.bookAdded { data["idempotencyKey"] = "contract-suite-\(bookID)" }
        event["data"] = data
        event["subject"] = bookID
        event["id"] = UUID().uuidString.lowercased()
        event["time"] = time
        return Array((try? JSONSerialization.data(withJSONObject: event)) ?? Data())
    }

    static func added(bookID: String) -> [UInt8] { rewrite(BookshelfEvents.bookAdded, bookID: bookID, time: "2000-01-01T00:00:00Z") }
    /// Later than any example, so it is the newest finished.
    static func finished(bookID: String) -> [UInt8] { rewrite(BookshelfEvents.bookFinished, bookID: bookID, time: "9999-12-31T23:59:59Z") }

    /// The book a views answers for `book.added` data: the data without the idempotency key.
    /// The book a view answers for this data: the year as a string whichever version wrote it (v1, v2 integers).
    static func book(from data: JSONValue) -> JSONValue {
        .object(data.members.filter { $0.key != "idempotencyKey" }.map { member in
            (member.key, member.key == "published" ? member.value.int.map { .string(String($0)) } ?? member.value : member.value)
        })
    }
}

/// One run of a projection in its host: prelude records, the record under test, then records that show
/// whether the host went on.
struct Feed<P: Projection> {
    struct Letter { var reason: String }
    var before: JSONValue
    var afterRecord: JSONValue
    var after: JSONValue
    var deadLetters: [Letter]
    var followedApplied: Bool

    static func run(prelude: [[UInt8]], record: [UInt8], after follow: [[UInt8]], snapshot: @escaping @Sendable (P) -> JSONValue) async -> Feed {
        let log = InMemoryEventLog()
        var logger = Logger(label: "contract-consumers")
        logger.logLevel = .critical
        let host = ProjectionHost<P>(consumer: "\(P.self)", source: log.makeSource(), deadLetters: log, contracts: repositoryContracts, readiness: Readiness(), metrics: ServiceMetrics(namespace: "bookshelf"), positionHeaders: BookshelfEvents.positionHeaders, logger: logger)
        let running = Task { try await host.run() }
        defer {
            log.close()
            running.cancel()
        }
        func append(_ bytes: [UInt8]) async -> Bool {
            guard let position = try? log.append(key: "k", value: bytes) else { return false }
            return await host.waitUntilApplied(PositionVector([position]), timeout: .seconds(5))
        }
        for bytes in prelude { _ = await append(bytes) }
        let before = host.read { state, _ in snapshot(state) }
        _ = await append(record)
        let afterRecord = host.read { state, _ in snapshot(state) }
        var followed = true
        for bytes in follow { followed = await append(bytes) && followed }
        let after = host.read { state, _ in snapshot(state) }
        let letters = log.deadLetters.map { Letter(reason: $0.reason.code.isEmpty || $0.reason.message.isEmpty ? "" : "\($0.reason.code): \($0.reason.message)") }
        return Feed(before: before, afterRecord: afterRecord, after: after, deadLetters: letters, followedApplied: followed)
    }
}

@Suite struct ConsumerContractTests {
    @Test("the views and book-read's known books take every valid example and dead-letter every invalid one")
    func consumersFollowTheirReceiveOperations() async {
        let report = await ConsumerPhase.report.value
        for finding in report.findings { Issue.record(Comment(rawValue: finding.description)) }
        #expect(!report.covered.isEmpty)
    }
}
