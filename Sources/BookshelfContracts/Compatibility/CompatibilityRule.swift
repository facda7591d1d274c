/// The rules of the compatibility check, by stable id: what scripts, CI annotations and the
/// shared compatibility suite match on. The ids never change meaning; a new rule gets a new id.
/// docs/contracts-tooling.md has the table, with an example of each.
public enum CompatibilityRule: String, Sendable, Hashable, CaseIterable {
    /// The reader is the schema `false`.
    case schemaFalse = "schema-false"
    /// The reader declares a `type` where the writer accepted any.
    case typeAdded = "type-added"
    /// A type the writer accepted is gone from the reader's `type`.
    case typeNarrowed = "type-narrowed"
    /// The reader has an `enum` or `const` where the writer had none.
    case enumAdded = "enum-added"
    /// A value of the writer's `enum` (or its `const`) is not in the reader's.
    case enumValueRemoved = "enum-value-removed"
    case maxLengthAdded = "max-length-added"
    case maxLengthDecreased = "max-length-decreased"
    case minLengthAdded = "min-length-added"
    case minLengthIncreased = "min-length-increased"
    case maxItemsAdded = "max-items-added"
    case maxItemsDecreased = "max-items-decreased"
    case minItemsAdded = "min-items-added"
    case minItemsIncreased = "min-items-increased"
    case maxPropertiesAdded = "max-properties-added"
    case maxPropertiesDecreased = "max-properties-decreased"
    case minPropertiesAdded = "min-properties-added"
    case minPropertiesIncreased = "min-properties-increased"
    case maximumAdded = "maximum-added"
    case maximumDecreased = "maximum-decreased"
    case exclusiveMaximumAdded = "exclusive-maximum-added"
    case exclusiveMaximumDecreased = "exclusive-maximum-decreased"
    case minimumAdded = "minimum-added"
    case minimumIncreased = "minimum-increased"
    case exclusiveMinimumAdded = "exclusive-minimum-added"
    case exclusiveMinimumIncreased = "exclusive-minimum-increased"
    case multipleOfAdded = "multiple-of-added"
    /// The writer's `multipleOf` is not a multiple of the reader's.
    case multipleOfChanged = "multiple-of-changed"
    case patternAdded = "pattern-added"
    case patternChanged = "pattern-changed"
    case uniqueItemsAdded = "unique-items-added"
    /// A property the writer's open content model let through with any value now has a schema.
    case propertyAddedToOpenContentModel = "property-added-to-open-content-model"
    /// A property the writer listed is unlisted in a reader with `additionalProperties: false`.
    case propertyRemovedFromClosedContentModel = "property-removed-from-closed-content-model"
    /// The reader has `additionalProperties: false` where the writer let unlisted properties through.
    case contentModelClosed = "content-model-closed"
    /// The reader requires a property the writer did not list, and gives it no default.
    case requiredPropertyAdded = "required-property-added"
    /// The reader requires a property the writer listed as optional.
    case propertyMadeRequired = "property-made-required"
    /// The reader's `dependentRequired` asks for a property the writer's did not.
    case dependentRequiredAdded = "dependent-required-added"
    /// No `anyOf`/`oneOf` branch of the reader accepts everything a writer branch accepts.
    case compositionBranchUnmatched = "composition-branch-unmatched"
    /// The reader adds or changes a keyword the rules do not analyse (`if`, `not`,
    /// `unevaluatedProperties` …): reported, since it may reject what the writer accepts.
    case keywordNotAnalysed = "keyword-not-analysed"
    /// A `$ref` names no loaded schema.
    case referenceUnresolved = "reference-unresolved"
    /// Not a rule: `--semantic` found a document that one version accepts and the other refuses
    /// where every rule said compatible.
    case semanticCounterexample = "semantic-counterexample"

    /// The rule for a bound keyword the reader added (`added`) or tightened.
    static func bound(_ keyword: String, added: Bool) -> CompatibilityRule {
        switch (keyword, added) {
        case ("maxLength", true): .maxLengthAdded
        case ("maxLength", false): .maxLengthDecreased
        case ("minLength", true): .minLengthAdded
        case ("minLength", false): .minLengthIncreased
        case ("maxItems", true): .maxItemsAdded
        case ("maxItems", false): .maxItemsDecreased
        case ("minItems", true): .minItemsAdded
        case ("minItems", false): .minItemsIncreased
        case ("maxProperties", true): .maxPropertiesAdded
        case ("maxProperties", false): .maxPropertiesDecreased
        case ("minProperties", true): .minPropertiesAdded
        case ("minProperties", false): .minPropertiesIncreased
        case ("maximum", true): .maximumAdded
        case ("maximum", false): .maximumDecreased
        case ("exclusiveMaximum", true): .exclusiveMaximumAdded
        case ("exclusiveMaximum", false): .exclusiveMaximumDecreased
        case ("minimum", true): .minimumAdded
        case ("minimum", false): .minimumIncreased
        case ("exclusiveMinimum", true): .exclusiveMinimumAdded
        default: .exclusiveMinimumIncreased
        }
    }
}
