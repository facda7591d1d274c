import BookshelfJSON
import BookshelfContracts
import BookshelfDomain
import BookshelfServiceKit
import Testing

/// Schema evolution: every version of an event type is BACKWARD compatible with every older one
/// (BACKWARD_TRANSITIVE, by module Contracts' checker), the newest schema accepts every older version's
/// valid data, and the consumers' codec, built for the newest version, reads every older example.
enum EvolutionPhase {
    static let report = Task { run() }

    static func run() -> Report {
        var report = Report()
        let contracts = ContractSet.shared
        let registry: ContractRegistry
        do { registry = try ContractRegistry(folder: contracts.folder) } catch {
            report.findings.append(Finding(contract: "contracts/events", pointer: "", instance: "", message: "contracts/ does not load: \(error)"))
            return report
        }
        let checker = CompatibilityChecker(schemas: registry.schemas)
        for type in registry.eventTypes {
            let versions = registry.versions(of: type)
            guard let newest = versions.last else { continue }
            for (index, newer) in versions.enumerated() {
                for older in versions[..<index] {
                    guard let old = registry.schema(id: older.id), let new = registry.schema(id: newer.id) else { continue }
                    report.check("schemas", checker.check(old: old, new: new, mode: .backward).map {
                        Finding(contract: ContractSet.file(ofSchema: newer.id), pointer: $0.location, instance: "", message: "v\(newer.version) cannot read v\(older.version) data: \($0.reason)")
                    })
                }
            }
            for example in contracts.examples("events/" + type, valid: true) {
                guard let event = example.json, let data = event["data"] else { continue }
                report.check("schemas", contracts.violations(of: data, against: newest.id, what: "\(example.file) data under the newest version v\(newest.version)"))
                do {
                    _ = try EventCodec<BookEvent>(contracts: repositoryContracts).decode(example.bytes)
                    report.check("consumers", [])
                } catch {
                    report.check("consumers", [Finding(contract: example.file, pointer: "", instance: "", message: "the consumers' codec (newest version) cannot read it: \(error.code): \(error.message)")])
                }
            }
        }
        return report
    }
}

@Suite struct EvolutionTests {
    @Test("each event type's versions pass BACKWARD_TRANSITIVE and the newest consumer reads every older example")
    func versionsEvolveBackwardTransitively() async {
        let report = await EvolutionPhase.report.value
        for finding in report.findings { Issue.record(Comment(rawValue: finding.description)) }
        #expect(report.tallies["schemas"]?.checks ?? 0 > 0)
    }
}
