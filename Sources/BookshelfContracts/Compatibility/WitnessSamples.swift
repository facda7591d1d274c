import BookshelfJSON

/// What to put at a finding's place in a witness document: a value, or a shape the generator
/// fills in from the writer's schema there.
enum WitnessHint: Sendable {
    /// Exactly this value.
    case value(JSONValue)
    /// The smallest value the writer's schema accepts, of `type` when given.
    case minimal(type: String?)
    /// The writer's smallest object, without this property.
    case objectWithout(String)
    /// The writer's smallest object with the first property and without the second.
    case objectWith(String, without: String)
    /// An array of `count` of the writer's smallest items; `duplicate` makes them all the same.
    case array(count: Int, duplicate: Bool)
    /// The writer's smallest object with `extraProperties` more properties.
    case object(extraProperties: Int)
}

/// Values likely to tell two schemas apart, by rule: just past a bound, of a type that was
/// dropped, beside an enum value. Each is only a candidate: the search keeps the ones the
/// validator confirms.
enum WitnessSamples {
    static let typeNames = ["null", "boolean", "integer", "number", "string", "array", "object"]

    static let strings: [JSONValue] = [
        "", "a", "A", "0", "1", "z", "abc", "xyz", "a b", "-", "ABC", "Z9", "hello world", "2026-01-01",
        "2026-01-01T00:00:00Z", "00000000-0000-4000-8000-000000000000", "https://example.com/",
        "a@example.com", "\u{1F600}", .string(String(repeating: "a", count: 256)),
    ]

    /// A bit of everything, for rules that give no better hint.
    static var pool: [WitnessHint] {
        [.minimal(type: nil)]
            + ([.null, true, false, 0, 1, -1, 0.5, 1_000_000, "", "a", "zz-unlisted", [], [nil], [:], ["extra": nil]] as [JSONValue]).map(WitnessHint.value)
            + [.array(count: 1, duplicate: false), .array(count: 2, duplicate: true), .object(extraProperties: 1)]
    }

    static func values(ofType type: String) -> [WitnessHint] {
        switch type {
        case "null": [.value(.null)]
        case "boolean": [.value(true), .value(false)]
        case "integer": [.minimal(type: "integer"), .value(0), .value(1), .value(-1), .value(1_000_000)]
        case "number": [.minimal(type: "number"), .value(0.5), .value(-0.5), .value(1.5)]
        case "string": [.minimal(type: "string")] + strings.map(WitnessHint.value)
        case "array": [.minimal(type: "array"), .value([]), .array(count: 1, duplicate: false)]
        default: [.minimal(type: "object"), .value([:]), .object(extraProperties: 1)]
        }
    }

    /// Values close to `value` but not equal: what an added `enum` or `const` may now refuse.
    static func neighbours(of value: JSONValue) -> [WitnessHint] {
        let near: [JSONValue]
        switch value.kind {
        case .string: near = [.string((value.string ?? "") + "x"), "", .string((value.string ?? "").uppercased() + "X")]
        case .number: near = value.double.map { [number($0 + 1), number($0 - 1), number($0 + 0.5)] } ?? []
        case .bool: near = [.bool(!(value.bool ?? false))]
        case .null: near = [false, 0, ""]
        case .array: near = [[], [nil]]
        case .object: near = [[:], ["extra": nil]]
        }
        return near.map(WitnessHint.value)
    }

    /// Values just past a reader's bound `keyword: bound`.
    static func beyond(_ keyword: String, _ bound: Double, writer: JSONValue) -> [WitnessHint] {
        let count = Int(bound)
        switch keyword {
        case "maxLength":
            return ["a", "1", "A"].map { .value(.string(String(repeating: $0, count: count + 1))) }
        case "minLength":
            return (count > 0 ? ["a", "1", "A"].map { WitnessHint.value(.string(String(repeating: $0, count: count - 1))) } : [])
                + [.value("")]
        case "maxItems":
            return [.array(count: count + 1, duplicate: false), .array(count: count + 1, duplicate: true)]
        case "minItems":
            return [.array(count: max(count - 1, 0), duplicate: false), .value([])]
        case "maxProperties":
            return [.object(extraProperties: count + 1)]
        case "minProperties":
            return [.minimal(type: "object"), .value([:])]
        case "maximum":
            return [number(bound + 1), number(bound + 0.5), number(bound * 2 + 1)].map(WitnessHint.value)
        case "exclusiveMaximum":
            return [number(bound), number(bound + 1)].map(WitnessHint.value)
        case "minimum":
            return [number(bound - 1), number(bound - 0.5), number(bound * 2 - 1)].map(WitnessHint.value)
        default:
            return [number(bound), number(bound - 1)].map(WitnessHint.value)
        }
    }

    /// Numbers that are not multiples of `step`: multiples of the writer's step when it had one.
    static func notMultiples(of step: Double, writerStep: Double?) -> [WitnessHint] {
        let tries = writerStep.map { writer in (1...12).map { Double($0) * writer } } ?? [1, 0.5, step + 1, step / 2, step * 1.5, 3, 7]
        return tries.filter { value in
            let ratio = value / step
            return ratio.rounded() != ratio
        }.map { .value(number($0)) }
    }

    /// A JSON number, written as an integer when it has no fraction.
    static func number(_ value: Double) -> JSONValue {
        value.rounded() == value && abs(value) < 1e15 ? .number(Int(value)) : .number(value)
    }
}
