import BookshelfJSON
import Foundation
import BookshelfKafka
import Testing

/// What the contracts declare, each item needing a check that ran: every message of every send and
/// receive operation of asyncapi.json, every documented status of every operation of openapi.json, and
/// no message on a channel that no operation sends or receives.
enum Coverage {
    static func expected(_ contracts: ContractSet) -> [Report.Coverage: (file: String, pointer: String)] {
        var items: [Report.Coverage: (file: String, pointer: String)] = [:]
        for operation in contracts.operations {
            for message in operation.messages {
                items[Report.Coverage(kind: operation.action.rawValue, operation: operation.id, item: message.id)] = (ContractSet.asyncAPIFile, operation.pointer + "/messages")
            }
        }
        for operation in RESTPhase.operations(in: contracts.openAPI) {
            for (status, _) in operation.responses.members {
                items[Report.Coverage(kind: "rest", operation: operation.id, item: status)] = (RESTPhase.file, operation.pointer + "/responses/" + status)
            }
        }
        return items
    }

    /// A finding for each declared item no check covered, and each channel message no operation uses.
    static func findings(_ contracts: ContractSet, covered: Set<Report.Coverage>) -> [Finding] {
        var findings = expected(contracts).filter { !covered.contains($0.key) }.sorted { $0.key < $1.key }.map { item, location in
            Finding(contract: location.file, pointer: location.pointer, instance: "", message: "\(item) has no contract check: wire the producer, consumer or route into Tests/Contract")
        }
        let used = Set(contracts.operations.flatMap { $0.messages.map(\.id) })
        for topic in contracts.topics {
            for message in contracts.channelMessages(topic: topic) where !used.contains(message.id) {
                findings.append(Finding(contract: ContractSet.asyncAPIFile, pointer: message.pointer, instance: "", message: "\(message.id) is on \(topic) but no operation sends or receives it"))
            }
        }
        return findings
    }

    /// Every phase's report, merged.
    static func all() async -> Report {
        var report = Report()
        report.merge(await ProducerPhase.report.value)
        report.merge(await ConsumerPhase.report.value)
        report.merge(await RESTPhase.report.value)
        report.merge(await EvolutionPhase.report.value)
        return report
    }

    static func summary(_ report: Report, uncovered: Int) -> String {
        var lines = ["Contract suite: \(report.covered.count) contract items checked, \(uncovered) unchecked, \(report.findings.count) findings"]
        lines.append("  service      produced  consumed  dead-lettered  checks")
        for (service, tally) in report.tallies.sorted(by: { $0.key < $1.key }) {
            lines.append("  " + [service.padding(toLength: 12, withPad: " ", startingAt: 0), String(format: "%8d", tally.produced), String(format: "%9d", tally.consumed), String(format: "%14d", tally.deadLettered), String(format: "%7d", tally.checks)].joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }
}

@Suite struct CoverageTests {
    @Test("every operation, message and status in asyncapi.json and openapi.json has a check that ran; summary")
    func everyContractItemIsChecked() async {
        let report = await Coverage.all()
        let findings = Coverage.findings(ContractSet.shared, covered: report.covered)
        for finding in findings { Issue.record(Comment(rawValue: finding.description)) }
        print(Coverage.summary(report, uncovered: findings.count))
        #expect(report.covered.count == Coverage.expected(ContractSet.shared).count)
    }

    /// The suite itself: a copy of contracts/ whose asyncapi.json gains what nothing wires must be red.
    @Test("a message or operation added to asyncapi.json without wiring turns coverage red", arguments: [
        Unwired.messageOnChannel, Unwired.sendOperation, Unwired.receiveOperation,
    ])
    func unwiredAdditionsAreCaught(_ addition: Unwired) async throws {
        let report = await Coverage.all()
        let copy = try addition.contracts()
        defer { try? FileManager.default.removeItem(atPath: copy.folder) }
        #expect(Coverage.findings(ContractSet.shared, covered: report.covered).isEmpty)
        let findings = Coverage.findings(copy, covered: report.covered)
        #expect(findings.contains { $0.contract == ContractSet.asyncAPIFile && $0.pointer.contains(addition.name) }, "findings: \(findings)")
    }
}

enum Unwired: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case messageOnChannel, sendOperation, receiveOperation

    var testDescription: String { rawValue }

    var name: String {
        switch self {
        case .messageOnChannel: "bookRemovedV1"
        case .sendOperation: "bookReadSendsBookRemoved"
        case .receiveOperation: "listBooksReceivesBookRemoved"
        }
    }

    /// contracts/ copied to a temporary folder with asyncapi.json extended.
    func contracts() throws -> ContractSet {
        let source = ContractSet.shared.folder
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("contract-suite-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: source, toPath: folder)
        let path = folder + "/asyncapi.json"
        var document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        var components = document["components"] as! [String: Any]
        var messages = components["messages"] as! [String: Any]
        var removed = messages["bookFinishedV1"] as! [String: Any]
        removed["name"] = "bookshelf.book.removed"
        messages["bookRemovedV1"] = removed
        components["messages"] = messages
        document["components"] = components
        var channels = document["channels"] as! [String: Any]
        var events = channels["events"] as! [String: Any]
        var channelMessages = events["messages"] as! [String: Any]
        channelMessages["bookRemovedV1"] = ["$ref": "#/components/messages/bookRemovedV1"]
        events["messages"] = channelMessages
        channels["events"] = events
        document["channels"] = channels
        var operations = document["operations"] as! [String: Any]
        let message = [["$ref": "#/channels/events/messages/bookRemovedV1"]]
        switch self {
        case .messageOnChannel: break
        case .sendOperation:
            operations[name] = ["action": "send", "channel": ["$ref": "#/channels/events"], "tags": [["name": "book-read"]], "messages": message]
        case .receiveOperation:
            operations[name] = ["action": "receive", "channel": ["$ref": "#/channels/events"], "tags": [["name": "list-books"]], "messages": message]
        }
        document["operations"] = operations
        try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
        return try ContractSet(folder: folder)
    }
}

extension CoverageTests {
    /// The suite itself: a record whose message the producing service's send operations do not name is a
    /// finding, even when the record is otherwise perfect.
    @Test("a record sent under no declared send operation is caught")
    func undeclaredSendIsCaught() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("contract-suite-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: ContractSet.shared.folder, toPath: folder)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/asyncapi.json"
        var document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        var operations = document["operations"] as! [String: Any]
        operations["bookReadSendsBookFinished"] = nil
        document["operations"] = operations
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: path))
        let copy = try ContractSet(folder: folder)

        let example = try #require(copy.examples("events/bookshelf.book.finished", valid: true).first)
        let key = try #require(example.json?["data"]?["id"]?.string)
        let record = KafkaRecord(
            position: RecordPosition(topic: "bookshelf.events", partition: 0, offset: 0), key: Array(key.utf8), value: example.bytes,
            headers: [KafkaHeader(name: "content-type", value: "application/cloudevents+json")], timestamp: nil
        )
        var withOperation = Report()
        ContractSet.shared.checkEvent(record, into: &withOperation)
        #expect(withOperation.findings.isEmpty, "\(withOperation.findings)")
        var without = Report()
        copy.checkEvent(record, into: &without)
        #expect(without.findings.contains { $0.contract == ContractSet.asyncAPIFile && $0.pointer == "/operations" && $0.message.contains("book-read sends bookFinishedV1") })
    }
}
