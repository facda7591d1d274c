import BookshelfContracts
import BookshelfJSON
import FoundationEssentials

/// The shared test vectors of a contracts folder, checked as a team's own contract test checks them: every
/// `examples/valid/*.json` valid against its schema, every `examples/invalid/*.json` invalid with each
/// failure it expects. The schema of an examples folder is the envelope for `cloudevents/` and
/// `events/<type>/` (their examples are whole events), else the one `*.schema.json` beside it.
///
/// An invalid example wraps its document: `{"description", "instance", "expect": [{"instanceLocation",
/// "keyword"}, …]}`, so that it says why it is invalid and a validator that refuses it for another
/// reason does not pass.
///
/// ```swift
/// @Test func everyExampleGivesItsVerdict() throws {
///     let report = ContractExamples.check(folder: "contracts")
///     #expect(report.failures.isEmpty, "\(report)")
/// }
/// ```
public enum ContractExamples {
    /// One example that did not give its verdict, or a folder that could not be checked.
    public struct Failure: Sendable, Hashable, CustomStringConvertible {
        /// The file, relative to the contracts folder.
        public let file: String
        public let message: String
        public var description: String { "\(file): \(message)" }
    }

    public struct Report: Sendable, CustomStringConvertible {
        public var valid = 0
        public var invalid = 0
        public var failures: [Failure] = []
        /// True when every example gave its verdict, and there was at least one: a folder without
        /// examples tests nothing.
        public var isPassing: Bool { failures.isEmpty && valid + invalid > 0 }

        public var description: String {
            var lines = ["\(valid) valid and \(invalid) invalid examples, \(failures.count) failure(s)"]
            if valid + invalid == 0 { lines.append("no examples found: examples/valid and examples/invalid hold them") }
            lines += failures.map { "  \($0)" }
            return lines.joined(separator: "\n")
        }
    }

    /// Loads the folder and checks its examples; a folder that does not load is one failure.
    public static func check(folder: String) -> Report {
        do {
            return check(try ContractRegistry(folder: folder))
        } catch {
            return Report(failures: [Failure(file: folder, message: error.message)])
        }
    }

    /// Checks the examples of the folder `contracts` was loaded from, with its schemas.
    public static func check(_ contracts: ContractRegistry) -> Report {
        var report = Report()
        for examples in exampleFolders(in: contracts.folder) {
            let owner = String(examples.dropLast("/examples".count))
            guard let schema = subjectSchema(of: owner, in: contracts) else {
                report.failures.append(Failure(file: examples, message: "no schema to check these examples against: the folder beside them needs exactly one *.schema.json"))
                continue
            }
            for name in jsonFiles(in: contracts.folder + "/" + examples + "/valid") {
                report.valid += 1
                let file = examples + "/valid/" + name
                guard let document = load(file, in: contracts.folder, into: &report) else { continue }
                let violations = check(document, against: schema, in: contracts, file: file, into: &report)
                if let violations, !violations.isEmpty {
                    report.failures.append(Failure(file: file, message: "a valid example fails its schema: " + violations.map(\.description).joined(separator: "; ")))
                }
            }
            for name in jsonFiles(in: contracts.folder + "/" + examples + "/invalid") {
                report.invalid += 1
                let file = examples + "/invalid/" + name
                guard let wrapper = load(file, in: contracts.folder, into: &report) else { continue }
                checkInvalid(wrapper, against: schema, in: contracts, file: file, into: &report)
            }
        }
        return report
    }

    private static func checkInvalid(_ wrapper: JSONValue, against schema: String, in contracts: ContractRegistry, file: String, into report: inout Report) {
        guard wrapper["description"]?.string?.isEmpty == false, let instance = wrapper["instance"],
              let expectations = wrapper["expect"], expectations.isArray, expectations.count > 0,
              expectations.elements.allSatisfy({ $0["instanceLocation"]?.string != nil && $0["keyword"]?.string != nil }) else {
            report.failures.append(Failure(file: file, message: "an invalid example is {\"description\", \"instance\", \"expect\": [{\"instanceLocation\", \"keyword\"}, …]} with at least one expectation"))
            return
        }
        guard let violations = check(instance, against: schema, in: contracts, file: file, into: &report) else { return }
        guard !violations.isEmpty else {
            report.failures.append(Failure(file: file, message: "an invalid example passes its schema"))
            return
        }
        let reported = Set(violations.map { "\($0.keyword) at '\($0.instanceLocation)'" })
        for expectation in expectations.elements {
            let expected = "\(expectation["keyword"]!.string!) at '\(expectation["instanceLocation"]!.string!)'"
            if !reported.contains(expected) {
                report.failures.append(Failure(file: file, message: "expected a failure of \(expected); the validator reports: " + reported.sorted().joined(separator: ", ")))
            }
        }
    }

    private static func check(_ document: JSONValue, against schema: String, in contracts: ContractRegistry, file: String, into report: inout Report) -> [ContractViolation]? {
        do {
            return try contracts.violations(of: document, against: schema)
        } catch {
            report.failures.append(Failure(file: file, message: error.message))
            return nil
        }
    }

    private static func load(_ file: String, in folder: String, into report: inout Report) -> JSONValue? {
        do {
            return try JSONValue(contentsOfFile: folder + "/" + file)
        } catch {
            report.failures.append(Failure(file: file, message: "not JSON: \(error)"))
            return nil
        }
    }

    /// The envelope for `cloudevents/` and `events/<type>/`, else the only schema in `folder` itself.
    static func subjectSchema(of folder: String, in contracts: ContractRegistry) -> String? {
        let first = folder.split(separator: "/").first
        if first == "cloudevents" || first == "events" { return contracts.envelopeID }
        let beside = contracts.schemaIDs.filter { id in
            let path = contracts.path(ofSchema: id) ?? ""
            return path.split(separator: "/").dropLast().joined(separator: "/") == folder
        }
        return beside.count == 1 ? beside[0] : nil
    }

    /// Every folder named `examples`, relative to `root`, sorted.
    private static func exampleFolders(in root: String) -> [String] {
        let paths = (try? FileManager.default.subpathsOfDirectory(atPath: root)) ?? []
        return paths.filter { $0.split(separator: "/").last == "examples" }.sorted()
    }

    private static func jsonFiles(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }
}
