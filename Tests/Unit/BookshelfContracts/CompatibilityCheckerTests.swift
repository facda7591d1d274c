import BookshelfJSON
import BookshelfContracts
import Testing

/// Each rule is checked both ways: the change is BACKWARD-incompatible, and the reverse change
/// (the same two schemas swapped) is BACKWARD-compatible.
@Suite struct CompatibilityCheckerTests {
    let checker = CompatibilityChecker()

    func schema(_ text: String) throws -> JSONValue {
        try JSONValue(parsing: text)
    }

    /// The reasons `new` cannot read `old`.
    func backward(_ old: String, _ new: String) throws -> [String] {
        try checker.check(old: schema(old), new: schema(new), mode: .backward).map(\.description)
    }

    /// Asserts `change` (old -> new) is incompatible with a reason at `location` mentioning
    /// `words`, and that undoing it (new -> old) is compatible.
    func expectRule(_ old: String, _ new: String, location: String, words: String,
                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        let reasons = try backward(old, new)
        #expect(reasons.contains { $0.hasPrefix("backward #\(location): ") && $0.contains(words) },
                "expected a reason at #\(location) mentioning \(words), got \(reasons)", sourceLocation: sourceLocation)
        let reverse = try backward(new, old)
        #expect(reverse.isEmpty, "the reverse change should be compatible, got \(reverse)", sourceLocation: sourceLocation)
    }

    static let closed = #"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}"#
    static let open = #"{"type":"object","properties":{"a":{"type":"string"}}}"#

    @Test func identicalSchemasAreCompatibleEveryWay() throws {
        for mode in CompatibilityMode.allCases {
            #expect(try checker.check(old: schema(Self.closed), new: schema(Self.closed), mode: mode).isEmpty)
        }
    }

    @Test func addingARequiredPropertyWithoutDefault() throws {
        try expectRule(Self.open,
                       #"{"type":"object","properties":{"a":{"type":"string"}},"required":["b"]}"#,
                       location: "/required", words: "required property \"b\" added without a default")
        // In a closed model the new property is also news to old data; undoing that removes it
        // from a closed model, which is incompatible in turn.
        let closedWithB = #"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},"required":["b"],"additionalProperties":false}"#
        #expect(try backward(Self.closed, closedWithB) == [#"backward #/required: required property "b" added without a default"#])
    }

    @Test func addingARequiredPropertyWithADefaultIsCompatible() throws {
        let new = #"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string","default":"x"}},"required":["b"],"additionalProperties":false}"#
        #expect(try backward(Self.closed, new).isEmpty)
    }

    @Test func makingAPropertyRequired() throws {
        try expectRule(Self.closed,
                       #"{"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}"#,
                       location: "/required", words: "property \"a\" made required")
    }

    @Test func removingAPropertyFromAClosedModel() throws {
        try expectRule(Self.closed,
                       #"{"type":"object","properties":{},"additionalProperties":false}"#,
                       location: "/properties/a", words: "removed from a closed content model")
    }

    @Test func removingAPropertyFromAnOpenModelIsCompatible() throws {
        #expect(try backward(Self.open, #"{"type":"object","properties":{}}"#).isEmpty)
    }

    @Test func addingAPropertyToAnOpenModel() throws {
        // The reverse (removing it from an open model) is compatible.
        try expectRule(Self.open,
                       #"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#,
                       location: "/properties/b", words: "added to an open content model")
    }

    @Test func addingAnOptionalPropertyToAClosedModelIsCompatibleButNotForward() throws {
        let new = #"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"additionalProperties":false}"#
        #expect(try backward(Self.closed, new).isEmpty)
        let forward = try checker.check(old: schema(Self.closed), new: schema(new), mode: .forward).map(\.description)
        #expect(forward == ["forward #/properties/b: property \"b\" removed from a closed content model"])
        #expect(try checker.check(old: schema(Self.closed), new: schema(new), mode: .full).map(\.description) == forward)
    }

    @Test func closingTheContentModel() throws {
        try expectRule(Self.open, Self.closed, location: "/additionalProperties", words: "content model closed")
    }

    @Test func narrowingAType() throws {
        try expectRule(#"{"type":["string","null"]}"#, #"{"type":"string"}"#, location: "/type", words: "type narrowed")
    }

    @Test func numberToIntegerIsNarrowingIntegerToNumberIsNot() throws {
        try expectRule(#"{"type":"number"}"#, #"{"type":"integer"}"#, location: "/type", words: "type narrowed from [number] to [integer]")
    }

    @Test func changingATypeIsIncompatibleBothWays() throws {
        #expect(try backward(#"{"type":"string"}"#, #"{"type":"integer"}"#) == ["backward #/type: type narrowed from [string] to [integer]"])
        #expect(try backward(#"{"type":"integer"}"#, #"{"type":"string"}"#) == ["backward #/type: type narrowed from [integer] to [string]"])
    }

    @Test func addingATypeWhereThereWasNone() throws {
        try expectRule(#"{}"#, #"{"type":"string"}"#, location: "/type", words: "type [string] added")
    }

    @Test func removingAnEnumValue() throws {
        try expectRule(#"{"enum":["a","b"]}"#, #"{"enum":["a"]}"#, location: "/enum", words: "enum value \"b\" removed")
    }

    @Test func addingAnEnumOrConst() throws {
        try expectRule(#"{"type":"string"}"#, #"{"type":"string","const":"a"}"#, location: "/const", words: "const added")
        try expectRule(#"{"type":"string"}"#, #"{"type":"string","enum":["a"]}"#, location: "/enum", words: "enum added")
    }

    @Test func enumValuesCompareAsJSON() throws {
        // 1 and 1.0 are the same JSON number, so nothing was removed.
        #expect(try backward(#"{"enum":[1,"x"]}"#, #"{"enum":[1.0,"x"]}"#).isEmpty)
    }

    @Test func tighteningStringLengths() throws {
        try expectRule(#"{"type":"string","maxLength":10}"#, #"{"type":"string","maxLength":5}"#, location: "/maxLength", words: "maxLength decreased from 10 to 5")
        try expectRule(#"{"type":"string"}"#, #"{"type":"string","maxLength":5}"#, location: "/maxLength", words: "maxLength 5 added")
        try expectRule(#"{"type":"string","minLength":1}"#, #"{"type":"string","minLength":2}"#, location: "/minLength", words: "minLength increased from 1 to 2")
        try expectRule(#"{"type":"string"}"#, #"{"type":"string","minLength":1}"#, location: "/minLength", words: "minLength added 1")
    }

    @Test func tighteningNumericBounds() throws {
        try expectRule(#"{"type":"integer","maximum":100}"#, #"{"type":"integer","maximum":99}"#, location: "/maximum", words: "maximum decreased from 100 to 99")
        try expectRule(#"{"type":"integer","minimum":1}"#, #"{"type":"integer","minimum":2}"#, location: "/minimum", words: "minimum increased from 1 to 2")
        try expectRule(#"{"type":"integer"}"#, #"{"type":"integer","minimum":0}"#, location: "/minimum", words: "minimum 0 added")
        try expectRule(#"{"type":"number"}"#, #"{"type":"number","exclusiveMaximum":1.5}"#, location: "/exclusiveMaximum", words: "exclusiveMaximum 1.5 added")
        try expectRule(#"{"type":"integer","multipleOf":2}"#, #"{"type":"integer","multipleOf":4}"#, location: "/multipleOf", words: "multipleOf changed from 2 to 4")
    }

    /// Steps compare in exact decimal, as the validator does: every multiple of 0.03 is a multiple of 0.01,
    /// though 0.03 / 0.01 is not 3 in doubles.
    @Test func multipleOfStepsCompareInDecimal() throws {
        #expect(try backward(#"{"type":"number","multipleOf":0.03}"#, #"{"type":"number","multipleOf":0.01}"#).isEmpty)
        try expectRule(#"{"type":"number","multipleOf":0.01}"#, #"{"type":"number","multipleOf":0.03}"#, location: "/multipleOf", words: "multipleOf changed from 0.01 to 0.03")
    }

    /// A keyword that applies to one JSON type cannot refuse old data that never was of that type: a `pattern`
    /// or `maxLength` added where the old schema allowed integers only narrows nothing, while the same keyword
    /// on a type the old schema allowed still does.
    @Test func aKeywordForATypeTheOldSchemaRefusedNarrowsNothing() throws {
        let year = #"{"type":"integer","minimum":1,"maximum":9999}"#
        let yearOrText = #"{"type":["string","integer"],"pattern":"^[0-9]{1,4}(?!\\n)$","minLength":1,"maxLength":4,"minimum":1,"maximum":9999}"#
        #expect(try backward(year, yearOrText).isEmpty)
        #expect(try backward(#"{"enum":[1,2]}"#, #"{"type":["integer","string"],"pattern":"^x$"}"#).isEmpty)
        #expect(try backward(#"{"type":"string"}"#, #"{"type":["string","array"],"maxItems":1}"#).isEmpty)
        #expect(try backward(#"{"type":"string"}"#, #"{"type":["string","object"],"required":["a"],"additionalProperties":false}"#).isEmpty)
        #expect(try backward(#"{"type":"string"}"#, #"{"type":["string","number"],"minimum":3,"multipleOf":2}"#).isEmpty)
        try expectRule(#"{"type":["string","integer"]}"#, yearOrText, location: "/pattern", words: "added")
        try expectRule(#"{"type":"number"}"#, #"{"type":"number","maximum":5}"#, location: "/maximum", words: "maximum 5 added")
        // Without a type the old schema accepted strings too.
        try expectRule(#"{"minimum":1}"#, #"{"minimum":1,"pattern":"^x$"}"#, location: "/pattern", words: "added")
    }

    @Test func tighteningArrayAndObjectSizes() throws {
        try expectRule(#"{"type":"array","maxItems":5}"#, #"{"type":"array","maxItems":4}"#, location: "/maxItems", words: "maxItems decreased")
        try expectRule(#"{"type":"array"}"#, #"{"type":"array","minItems":1}"#, location: "/minItems", words: "minItems added 1")
        try expectRule(#"{"type":"object"}"#, #"{"type":"object","maxProperties":3}"#, location: "/maxProperties", words: "maxProperties 3 added")
    }

    @Test func addingOrChangingAPattern() throws {
        try expectRule(#"{"type":"string"}"#, #"{"type":"string","pattern":"^[a-z]+$"}"#, location: "/pattern", words: "pattern \"^[a-z]+$\" added")
        #expect(try backward(#"{"type":"string","pattern":"^[a-z]+$"}"#, #"{"type":"string","pattern":"^[a-z0-9]+$"}"#)
                == [#"backward #/pattern: pattern changed from "^[a-z]+$" to "^[a-z0-9]+$""#])
    }

    @Test func addingUniqueItems() throws {
        try expectRule(#"{"type":"array","items":{"type":"string"}}"#, #"{"type":"array","items":{"type":"string"},"uniqueItems":true}"#,
                       location: "/uniqueItems", words: "uniqueItems added")
    }

    @Test func rulesApplyInsideItemsAndNestedProperties() throws {
        try expectRule(#"{"type":"array","items":{"type":"object","properties":{"n":{"type":"integer","maximum":9}}}}"#,
                       #"{"type":"array","items":{"type":"object","properties":{"n":{"type":"integer","maximum":8}}}}"#,
                       location: "/items/properties/n/maximum", words: "maximum decreased from 9 to 8")
    }

    @Test func followsLocalReferencesOnBothSides() throws {
        try expectRule(##"{"properties":{"t":{"$ref":"#/$defs/text"}},"$defs":{"text":{"type":"string","maxLength":200}}}"##,
                       ##"{"properties":{"t":{"$ref":"#/$defs/text"}},"$defs":{"text":{"type":"string","maxLength":100}}}"##,
                       location: "/properties/t/maxLength", words: "maxLength decreased from 200 to 100")
    }

    @Test func assertionsBesideAReferenceCount() throws {
        try expectRule(##"{"properties":{"t":{"$ref":"#/$defs/text"}},"$defs":{"text":{"type":"string"}}}"##,
                       ##"{"properties":{"t":{"$ref":"#/$defs/text","maxLength":10}},"$defs":{"text":{"type":"string"}}}"##,
                       location: "/properties/t/maxLength", words: "maxLength 10 added")
    }

    @Test func reportsAReferenceThatResolvesNowhere() throws {
        let reasons = try backward(#"{"type":"string"}"#, #"{"$ref":"https://elsewhere.example/x.json"}"#)
        #expect(reasons == [#"backward #/$ref: $ref "https://elsewhere.example/x.json" resolves to no loaded schema"#])
    }

    @Test func resolvesReferencesToOtherLoadedSchemas() throws {
        let shared = try schema(#"{"$id":"https://bookshelf.example/shared.json","type":"string","maxLength":3}"#)
        let checker = CompatibilityChecker(schemas: ["https://bookshelf.example/shared.json": shared])
        let reasons = try checker.check(old: schema(#"{"type":"string"}"#),
                                        new: schema(#"{"$id":"https://bookshelf.example/v2.json","$ref":"shared.json"}"#),
                                        mode: .backward)
        #expect(reasons.map(\.description) == ["backward #/maxLength: maxLength 3 added"])
    }

    @Test func extendingAnyOfIsCompatibleNarrowingIsNot() throws {
        try expectRule(#"{"anyOf":[{"type":"string"},{"type":"integer"}]}"#, #"{"anyOf":[{"type":"string"}]}"#,
                       location: "/anyOf", words: "no branch accepts everything old branch 1 accepts")
    }

    @Test func unanalysedKeywordsAreReportedNotIgnored() throws {
        #expect(try backward(#"{"type":"object"}"#, #"{"type":"object","propertyNames":{"maxLength":3}}"#)
                == ["backward #/propertyNames: propertyNames added (not analysed, so treated as incompatible)"])
    }

    @Test func falseSchemaAcceptsNothing() throws {
        try expectRule(#"{"type":"object","properties":{"a":{}}}"#, #"{"type":"object","properties":{"a":false}}"#,
                       location: "/properties/a", words: "accepts nothing")
    }

    @Test func bookAddedV2ReadsV1ButNotTheOtherWayRound() throws {
        let registry = try ContractRegistry(folder: ContractsFixture.folder)
        let versions = registry.versions(of: "bookshelf.book.added")
        #expect(versions.map(\.version) == [1, 2, 3])
        let (v1, v2) = (registry.schema(id: versions[0].id)!, registry.schema(id: versions[1].id)!)
        #expect(checker.check(old: v1, new: v2, mode: .backward).isEmpty)
        let forward = checker.check(old: v1, new: v2, mode: .forward).map(\.description).sorted()
        #expect(forward == [
            "forward #/properties/isbn: property \"isbn\" removed from a closed content model",
            "forward #/properties/tags: property \"tags\" removed from a closed content model",
        ])
    }

    @Test func everyEventTypeIsBackwardTransitive() throws {
        let registry = try ContractRegistry(folder: ContractsFixture.folder)
        var pairs = 0
        for type in registry.eventTypes {
            let versions = registry.versions(of: type)
            for (index, new) in versions.enumerated() {
                for old in versions[..<index] {
                    let reasons = checker.check(old: registry.schema(id: old.id)!, new: registry.schema(id: new.id)!, mode: .backward)
                    #expect(reasons.isEmpty, "\(type) v\(new.version) cannot read v\(old.version): \(reasons)")
                    pairs += 1
                }
            }
        }
        #expect(pairs >= 1)
    }
}
