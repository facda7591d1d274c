import BookshelfJSON
@testable import BookshelfJSONSchema
import Testing

/// `StringShape` may only accept sooner: on random string schemas (type, lengths, patterns, formats,
/// const, enum) and random instances, a schema compiled with it and one compiled without must give the same
/// verdict and the same errors, with the same locations and messages.
@Suite struct StringShapeDifferentialTests {
    typealias SplitMix = ECMARegexDifferentialTests.SplitMix

    static let patterns = [
        #""^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?!\\n)$""#,  // fixed bytes
        #""[^ \\t\\r\\n]""#,  // single class
        #""^[!-~]+(?!\\n)$""#,  // automaton
        #""^(a|é)+$""#,  // non-ASCII: the backtracking machine
        #""b""#,
    ]
    static let words = ["a", "ab", "b", "é", "aé", "💩", "0123abcd-0123-abcd-0123-0123456789ab", "", " ", "a b", "2026-11-27"]

    static func stringNode(_ random: inout SplitMix) -> String {
        var members: [String] = []
        switch random.next(4) {
        case 0: members.append(#""type":"string""#)
        case 1: members.append(#""type":["string","null"]"#)
        case 2: members.append(#""type":"integer""#)  // excludes strings: no shape
        default: break
        }
        if random.next(2) == 0 { members.append(#""minLength":\#(random.next(5))"#) }
        if random.next(2) == 0 { members.append(#""maxLength":\#(random.next(6))"#) }
        if random.next(2) == 0 { members.append(#""pattern":\#(patterns[random.next(patterns.count)])"#) }
        if random.next(4) == 0 { members.append(#""format":"\#(["uuid", "date", "email"][random.next(3)])""#) }
        switch random.next(6) {
        case 0: members.append(#""const":"\#(words[random.next(words.count)])""#)
        case 1: members.append(#""const":1"#)
        case 2:
            let chosen = (0..<1 + random.next(3)).map { _ in "\"\(words[random.next(words.count)])\"" }
            members.append(#""enum":[\#(chosen.joined(separator: ",")),null,2]"#)
        case 3: members.append(#""minimum":3"#)  // not a string keyword: no shape
        default: break
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    static func instance(_ random: inout SplitMix) -> String {
        switch random.next(8) {
        case 0: return "null"
        case 1: return "7"
        case 2: return "[\"a\"]"
        case 3: return "\"" + words[random.next(words.count)] + "\""
        default:
            let alphabet: [String] = ["a", "b", "é", "💩", " ", "0", "f", "-", "\\n", "\\u0000"]
            return "\"" + (0..<random.next(9)).map { _ in alphabet[random.next(alphabet.count)] }.joined() + "\""
        }
    }

    static func compile(_ text: String, fused: Bool) throws -> JSONSchema {
        var options = ValidationOptions(assertFormats: true)
        options.fusesShapes = fused
        return try schema(text, options: options)
    }

    /// Calls `body` with the compiled root node of the schema `text`, while its compiler is alive.
    static func withRootNode<T>(_ text: String, _ body: (SchemaNode) -> T) throws -> T {
        let document = try JSONValue(parsing: text)
        var registry = SchemaRegistry()
        let uri = try registry.register(document, uri: "urn:one")
        let compiler = SchemaCompiler(registry: registry, options: ValidationOptions())
        let node = try compiler.compile(document, at: SchemaLocation(resource: uri, pointer: "", dialect: nil))
        return withExtendedLifetime(compiler) { body(node) }
    }

    /// The schema compiled with and without the shapes gives `document` the same verdict and the same errors;
    /// the verdict is tallied, so a test can check that both kinds were common.
    static func expectAgreement(
        _ fused: JSONSchema, _ plain: JSONSchema, schema text: String, on document: String, counting verdicts: inout (valid: Int, invalid: Int)
    ) throws {
        let instance = try JSONValue(parsing: document)
        let verdict = fused.isValid(instance)
        #expect(verdict == plain.isValid(instance), "\(text) on \(document)")
        #expect(fused.validate(instance).errors == plain.validate(instance).errors, "\(text) on \(document)")
        if verdict { verdicts.valid += 1 } else { verdicts.invalid += 1 }
    }

    @Test func fusedAndKeywordByKeywordAgreeOnVerdictsAndErrors() throws {
        var random = SplitMix(state: 1257)
        var verdicts = (valid: 0, invalid: 0)
        for _ in 0..<300 {
            // The shapes sit where contracts put them: as properties, behind a $ref, and at the root of $defs.
            let text = """
                {"$id":"urn:shape","type":"object","properties":{"a":\(Self.stringNode(&random)),"b":{"$ref":"#/$defs/s"}},
                 "additionalProperties":false,"$defs":{"s":\(Self.stringNode(&random))}}
                """
            let fused = try Self.compile(text, fused: true)
            let plain = try Self.compile(text, fused: false)
            for _ in 0..<20 {
                let (a, b) = (Self.instance(&random), Self.instance(&random))
                for document in [#"{"a":\#(a)}"#, #"{"b":\#(b)}"#, #"{"a":\#(a),"b":\#(b)}"#] {
                    try Self.expectAgreement(fused, plain, schema: text, on: document, counting: &verdicts)
                }
            }
        }
        // Both verdicts must be common, or the comparison proves little.
        #expect(verdicts.valid > 1500 && verdicts.invalid > 1500, "\(verdicts)")
    }

    /// `PropertiesShape` gives the keywords' verdict on objects with required, optional, missing and invalid
    /// members (nested shapes included), on non-objects, and with `type` allowing or refusing them.
    @Test func propertiesShapeGivesTheKeywordsVerdict() throws {
        var random = SplitMix(state: 2027)
        var verdicts = (valid: 0, invalid: 0)
        let names = ["a", "b", "c"]
        for _ in 0..<200 {
            var members: [String] = []
            switch random.next(3) {
            case 0: members.append(#""type":"object""#)
            case 1: members.append(#""type":["object","string"]"#)
            default: break
            }
            let declared = names.filter { _ in random.next(3) != 0 }
            members.append(#""properties":{"# + declared.map { #""\#($0)":\#(Self.stringNode(&random))"# }
                .joined(separator: ",") + "}")
            let required = names.filter { _ in random.next(3) == 0 }
            if !required.isEmpty { members.append(#""required":[\#(required.map { "\"\($0)\"" }.joined(separator: ","))]"#) }
            let text = #"{"$id":"urn:props","properties":{"x":{\#(members.joined(separator: ","))}}}"#
            let fused = try Self.compile(text, fused: true)
            let plain = try Self.compile(text, fused: false)
            for _ in 0..<30 {
                let value: String
                if random.next(5) == 0 {
                    value = Self.instance(&random)
                } else {
                    value = "{" + names.filter { _ in random.next(2) == 0 }.map { #""\#($0)":\#(Self.instance(&random))"# }
                        .joined(separator: ",") + "}"
                }
                try Self.expectAgreement(fused, plain, schema: text, on: #"{"x":\#(value)}"#, counting: &verdicts)
            }
        }
        #expect(verdicts.valid > 500 && verdicts.invalid > 500, "\(verdicts)")
    }

    /// The shape is built for string-only nodes and only for them (else the test above compares nothing).
    @Test func shapeIsBuiltOnlyForStringOnlyNodes() throws {
        func shape(_ text: String) throws -> StringShape? {
            try Self.withRootNode(text) { $0.stringShape?.pointee }
        }
        let uuid = try #require(try shape(#"{"type":"string","minLength":36,"maxLength":36,"pattern":"^[0-9a-f-]{36}$"}"#))
        #expect(uuid.minLength == 36 && uuid.maxLength == 36 && uuid.pattern != nil && uuid.values == nil)
        let choice = try #require(try shape(#"{"type":"string","enum":["x",1,"y"]}"#))
        #expect(choice.values?.count == 2)
        #expect(try shape(#"{"const":"1.0"}"#)?.values?.count == 1)
        #expect(try shape(#"{"type":"object"}"#) == nil)
        #expect(try shape(#"{"type":"string","minimum":1}"#) == nil)
        #expect(try shape(#"{"const":"a","enum":["a"]}"#) == nil)
        #expect(try shape("{}") == nil)
    }

    @Test func propertiesShapeIsBuiltOnlyForPropertiesWithTypeAndRequired() throws {
        func shape(_ text: String) throws -> PropertiesShape? {
            try Self.withRootNode(text) { $0.propertiesShape?.pointee }
        }
        let conditionLike = try #require(try shape(#"{"required":["d","z"],"properties":{"a":{},"d":{"const":1}}}"#))
        #expect(conditionLike.required == 0b10 && conditionLike.otherRequired.count == 1 && conditionLike.types == nil)
        #expect(try shape(#"{"type":"object","properties":{"a":{}}}"#)?.types == .object)
        #expect(try shape(#"{"required":["a"]}"#) == nil)
        #expect(try shape(#"{"properties":{"a":{}},"additionalProperties":false}"#) == nil)
        #expect(try shape(#"{"properties":{"a":{}},"minProperties":1}"#) == nil)
    }
}
