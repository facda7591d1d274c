/// What one phase of the suite checked: the contract items it covered, what each service was seen to send
/// and receive, the checks it ran per service, and every finding.
struct Report: Sendable {
    /// A contract item the suite has a check for: `send <operation> <message>`, `receive <operation>
    /// <message>`, `rest <operationId> <status>`.
    struct Coverage: Sendable, Hashable, Comparable, CustomStringConvertible {
        var kind: String
        var operation: String
        var item: String
        var description: String { "\(kind) \(operation) \(item)" }
        static func < (a: Coverage, b: Coverage) -> Bool { a.description < b.description }
    }

    struct Tally: Sendable {
        var produced = 0
        var consumed = 0
        var deadLettered = 0
        var checks = 0
    }

    var findings: [Finding] = []
    var covered: Set<Coverage> = []
    var tallies: [String: Tally] = [:]

    mutating func cover(_ kind: String, _ operation: String, _ item: String) {
        covered.insert(Coverage(kind: kind, operation: operation, item: item))
    }

    /// Records a check on `service`'s behaviour; a failed one adds its findings.
    mutating func check(_ service: String, _ findings: [Finding]) {
        tallies[service, default: Tally()].checks += 1
        self.findings += findings
    }

    mutating func check(_ service: String, _ passed: Bool, _ finding: @autoclosure () -> Finding) {
        check(service, passed ? [] : [finding()])
    }

    mutating func merge(_ other: Report) {
        findings += other.findings
        covered.formUnion(other.covered)
        for (service, tally) in other.tallies {
            tallies[service, default: Tally()].produced += tally.produced
            tallies[service, default: Tally()].consumed += tally.consumed
            tallies[service, default: Tally()].deadLettered += tally.deadLettered
            tallies[service, default: Tally()].checks += tally.checks
        }
    }
}
