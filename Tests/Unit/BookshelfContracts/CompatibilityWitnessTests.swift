import BookshelfJSON
import BookshelfContracts
import BookshelfJSONSchema
import Testing

/// Every rule, one change each: the report names the rule, and its witness is a document the
/// writing version accepts and the reading one refuses, as our own validator confirms here.
@Suite struct CompatibilityWitnessTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let rule: CompatibilityRule
        let old: String
        let new: String
        var mode: CompatibilityMode = .backward
        var testDescription: String { rule.rawValue }
    }

    static let object = #""type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}}"#

    static let cases: [Case] = [
        Case(rule: .schemaFalse, old: #"{"type":"string"}"#, new: "false"),
        Case(rule: .typeAdded, old: #"{"description":"anything"}"#, new: #"{"type":"string"}"#),
        Case(rule: .typeNarrowed, old: #"{"type":["string","null"]}"#, new: #"{"type":"string"}"#),
        Case(rule: .enumAdded, old: #"{"type":"string"}"#, new: #"{"type":"string","enum":["a","b"]}"#),
        Case(rule: .enumValueRemoved, old: #"{"enum":["a","b"]}"#, new: #"{"enum":["a"]}"#),
        Case(rule: .maxLengthAdded, old: #"{"type":"string"}"#, new: #"{"type":"string","maxLength":3}"#),
        Case(rule: .maxLengthDecreased, old: #"{"type":"string","maxLength":5}"#, new: #"{"type":"string","maxLength":3}"#),
        Case(rule: .minLengthAdded, old: #"{"type":"string"}"#, new: #"{"type":"string","minLength":2}"#),
        Case(rule: .minLengthIncreased, old: #"{"type":"string","minLength":1}"#, new: #"{"type":"string","minLength":3}"#),
        Case(rule: .maxItemsAdded, old: #"{"type":"array","items":{"type":"string"}}"#, new: #"{"type":"array","items":{"type":"string"},"maxItems":1}"#),
        Case(rule: .maxItemsDecreased, old: #"{"type":"array","maxItems":4}"#, new: #"{"type":"array","maxItems":2}"#),
        Case(rule: .minItemsAdded, old: #"{"type":"array","items":{"type":"integer"}}"#, new: #"{"type":"array","items":{"type":"integer"},"minItems":1}"#),
        Case(rule: .minItemsIncreased, old: #"{"type":"array","minItems":1}"#, new: #"{"type":"array","minItems":3}"#),
        Case(rule: .maxPropertiesAdded, old: "{\(object)}", new: "{\(object),\"maxProperties\":1}"),
        Case(rule: .maxPropertiesDecreased, old: "{\(object),\"maxProperties\":3}", new: "{\(object),\"maxProperties\":1}"),
        Case(rule: .minPropertiesAdded, old: "{\(object)}", new: "{\(object),\"minProperties\":1}"),
        Case(rule: .minPropertiesIncreased, old: "{\(object),\"minProperties\":1}", new: "{\(object),\"minProperties\":2}"),
        Case(rule: .maximumAdded, old: #"{"type":"integer"}"#, new: #"{"type":"integer","maximum":10}"#),
        Case(rule: .maximumDecreased, old: #"{"type":"number","maximum":100}"#, new: #"{"type":"number","maximum":10}"#),
        Case(rule: .exclusiveMaximumAdded, old: #"{"type":"number"}"#, new: #"{"type":"number","exclusiveMaximum":5}"#),
        Case(rule: .exclusiveMaximumDecreased, old: #"{"type":"number","exclusiveMaximum":9}"#, new: #"{"type":"number","exclusiveMaximum":5}"#),
        Case(rule: .minimumAdded, old: #"{"type":"integer"}"#, new: #"{"type":"integer","minimum":1}"#),
        Case(rule: .minimumIncreased, old: #"{"type":"integer","minimum":0}"#, new: #"{"type":"integer","minimum":1}"#),
        Case(rule: .exclusiveMinimumAdded, old: #"{"type":"number"}"#, new: #"{"type":"number","exclusiveMinimum":0}"#),
        Case(rule: .exclusiveMinimumIncreased, old: #"{"type":"number","exclusiveMinimum":0}"#, new: #"{"type":"number","exclusiveMinimum":2}"#),
        Case(rule: .multipleOfAdded, old: #"{"type":"integer"}"#, new: #"{"type":"integer","multipleOf":2}"#),
        Case(rule: .multipleOfChanged, old: #"{"type":"integer","multipleOf":2}"#, new: #"{"type":"integer","multipleOf":4}"#),
        Case(rule: .patternAdded, old: #"{"type":"string"}"#, new: #"{"type":"string","pattern":"^[a-z]+$"}"#),
        Case(rule: .patternChanged, old: #"{"type":"string","pattern":"^[a-z]+$"}"#, new: #"{"type":"string","pattern":"^[a-c]+$"}"#),
        Case(rule: .uniqueItemsAdded, old: #"{"type":"array","items":{"type":"string"}}"#, new: #"{"type":"array","items":{"type":"string"},"uniqueItems":true}"#),
        Case(rule: .propertyAddedToOpenContentModel, old: #"{"type":"object","properties":{"a":{"type":"string"}}}"#,
             new: #"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#),
        Case(rule: .propertyRemovedFromClosedContentModel, old: "{\(object),\"additionalProperties\":false}",
             new: #"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}"#),
        Case(rule: .contentModelClosed, old: "{\(object)}", new: "{\(object),\"additionalProperties\":false}"),
        Case(rule: .requiredPropertyAdded, old: "{\(object)}", new: "{\(object),\"required\":[\"c\"]}"),
        Case(rule: .propertyMadeRequired, old: "{\(object),\"required\":[\"a\"]}", new: "{\(object),\"required\":[\"a\",\"b\"]}"),
        Case(rule: .dependentRequiredAdded, old: "{\(object)}", new: "{\(object),\"dependentRequired\":{\"a\":[\"b\"]}}"),
        Case(rule: .compositionBranchUnmatched, old: #"{"anyOf":[{"type":"string"},{"type":"integer"}]}"#, new: #"{"anyOf":[{"type":"string"}]}"#),
        Case(rule: .keywordNotAnalysed, old: #"{"type":"string"}"#, new: #"{"type":"string","not":{"const":"a"}}"#),
        Case(rule: .maxLengthAdded, old: #"{"type":"string","maxLength":3}"#, new: #"{"type":"string"}"#, mode: .forward),
        Case(rule: .typeNarrowed, old: "{\(object),\"required\":[\"a\"]}",
             new: #"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"array","prefixItems":[{"type":"integer"}],"items":{"type":"string"}}},"required":["a"]}"#),
    ]

    func validator(_ schema: JSONValue) throws -> JSONSchema {
        try SchemaRegistry().compile(schema)
    }

    @Test(arguments: cases)
    func everyFindingOfTheRuleHasAWitnessTheValidatorConfirms(_ change: Case) throws {
        let old = try JSONValue(parsing: change.old)
        let new = try JSONValue(parsing: change.new)
        let report = CompatibilityChecker().report(old: old, new: new, mode: change.mode)
        #expect(!report.compatible)
        let findings = report.findings.filter { $0.rule == change.rule }
        #expect(!findings.isEmpty, "expected \(change.rule.rawValue), got \(report.findings.map(\.rule.rawValue))")
        for finding in findings {
            let witness = try #require(finding.witness, "no witness for \(finding.incompatibility)")
            let (accepting, refusing) = finding.direction == .backward ? (old, new) : (new, old)
            #expect(witness.acceptedBy == (finding.direction == .backward ? .old : .new))
            #expect(try validator(accepting).isValid(witness.document), "\(witness.document.serialized()) should pass the writer")
            #expect(try !validator(refusing).isValid(witness.document), "\(witness.document.serialized()) should fail the reader")
        }
    }

    @Test func everyRuleHasACase() {
        let covered = Set(Self.cases.map(\.rule))
        let withoutWitness: Set<CompatibilityRule> = [.referenceUnresolved, .semanticCounterexample]
        #expect(Set(CompatibilityRule.allCases).subtracting(covered).subtracting(withoutWitness).isEmpty,
                "rules without a case: \(Set(CompatibilityRule.allCases).subtracting(covered).subtracting(withoutWitness))")
    }

    @Test func aFindingTheValidatorCannotConfirmHasNoWitness() throws {
        // One version's $ref names nothing: the validator cannot compile it, so no document is offered.
        let report = CompatibilityChecker().report(old: try JSONValue(parsing: #"{"type":"string"}"#),
                                                   new: try JSONValue(parsing: #"{"$ref":"https://nowhere.example/x.json"}"#),
                                                   mode: .backward)
        #expect(report.findings.map(\.rule) == [.referenceUnresolved])
        #expect(report.findings.first?.witness == nil)
        #expect(report.json["findings"]?[0]?["witness"]?.isNull == true)
    }

    @Test func anOverReportedFindingGetsNoInventedWitness() throws {
        // The rules flag `minimum` added, but every value the old enum allows passes it.
        let report = CompatibilityChecker().report(old: try JSONValue(parsing: #"{"enum":[5,6]}"#),
                                                   new: try JSONValue(parsing: #"{"enum":[5,6],"minimum":3}"#), mode: .backward)
        #expect(report.findings.map(\.rule) == [.minimumAdded])
        #expect(report.findings.first?.witness == nil)
    }

    @Test func semanticSearchFindsWhatTheRulesMiss() throws {
        // An integer matches both branches of the new oneOf, so oneOf refuses it; the rules see
        // a branch that accepts every integer and say compatible.
        let old = try JSONValue(parsing: #"{"type":"integer"}"#)
        let new = try JSONValue(parsing: #"{"oneOf":[{"type":"number"},{"type":"integer"}]}"#)
        let checker = CompatibilityChecker()
        #expect(checker.report(old: old, new: new, mode: .backward).compatible)
        let report = checker.report(old: old, new: new, mode: .backward, semantic: true)
        let finding = try #require(report.findings.first)
        #expect(finding.rule == .semanticCounterexample)
        let witness = try #require(finding.witness)
        #expect(try validator(old).isValid(witness.document))
        #expect(try !validator(new).isValid(witness.document))
    }

    @Test func semanticSearchFindsNothingBetweenEquivalentVersions() throws {
        let old = try JSONValue(parsing: "{\(Self.object),\"required\":[\"a\"]}")
        let new = try JSONValue(parsing: "{\(Self.object),\"required\":[\"a\"],\"description\":\"reworded\"}")
        #expect(CompatibilityChecker().report(old: old, new: new, mode: .full, semantic: true).findings.isEmpty)
    }

    @Test func aBranchForADiscriminatorValueOldDataNeverHasIsCompatible() throws {
        // How the envelope gains a new event version: a new dataschema value and a branch for it.
        func envelope(_ versions: [String]) throws -> JSONValue {
            let branches = versions.map { #"{"if":{"required":["v"],"properties":{"v":{"const":"\#($0)"}}},"then":{"properties":{"data":{"type":"string"}}}}"# }
            let values = versions.map { "\"\($0)\"" }.joined(separator: ",")
            return try JSONValue(parsing: #"{"type":"object","required":["v"],"properties":{"v":{"enum":[\#(values)]}},"allOf":[\#(branches.joined(separator: ","))]}"#)
        }
        let checker = CompatibilityChecker()
        #expect(checker.report(old: try envelope(["a", "b"]), new: try envelope(["a", "b", "c"]), mode: .backward).compatible)
        // Old data can carry "c" when the old enum allowed it: the new branch then constrains it.
        let reachable = try JSONValue(parsing: #"{"type":"object","required":["v"],"properties":{"v":{"enum":["a","b","c"]}},"allOf":[{"if":{"required":["v"],"properties":{"v":{"const":"a"}}},"then":{"properties":{"data":{"type":"string"}}}}]}"#)
        let report = checker.report(old: reachable, new: try envelope(["a", "b", "c"]), mode: .backward)
        #expect(report.findings.map(\.rule).contains(.keywordNotAnalysed))
    }

    @Test func jsonOutputHasTheDocumentedShape() throws {
        let report = CompatibilityChecker().report(old: try JSONValue(parsing: #"{"type":"string"}"#),
                                                   new: try JSONValue(parsing: #"{"type":"string","maxLength":3}"#), mode: .backward)
        let json = report.json
        #expect(json["compatible"]?.bool == false)
        #expect(json["mode"]?.string == "backward")
        let finding = try #require(json["findings"]?[0])
        #expect(finding["direction"]?.string == "backward")
        #expect(finding["location"]?.string == "#/maxLength")
        #expect(finding["rule"]?.string == "max-length-added")
        #expect(finding["witness"]?["acceptedBy"]?.string == "old")
        #expect(finding["witness"]?["rejectedBy"]?.string == "new")
        #expect(finding["witness"]?["document"]?.string?.count == 4)
    }
}
