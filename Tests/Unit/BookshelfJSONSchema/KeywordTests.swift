import BookshelfJSON
import BookshelfJSONSchema
import Testing

@Suite struct TypeAndValueKeywordTests {
    @Test func typeUsesJSONNumberSemantics() throws {
        let integer = try schema(#"{"type":"integer"}"#)
        #expect(try integer.accepts("1"))
        #expect(try integer.accepts("1.0"))
        #expect(try !integer.accepts("1.5"))
        #expect(try !integer.accepts(#""1""#))
        let several = try schema(#"{"type":["string","null"]}"#)
        #expect(try several.accepts("null"))
        #expect(try several.accepts(#""x""#))
        #expect(try !several.accepts("false"))
    }

    @Test func enumConstAndUniqueItemsTreatOneAndOnePointZeroAlike() throws {
        #expect(try schema(#"{"const":1}"#).accepts("1.0"))
        #expect(try schema(#"{"enum":[[1],{"a":2}]}"#).accepts(#"{"a":2.0}"#))
        #expect(try !schema(#"{"enum":[1,2]}"#).accepts("true"))
        #expect(try !schema(#"{"const":false}"#).accepts("0"))
        #expect(try !schema(#"{"uniqueItems":true}"#).accepts("[1,1.0]"))
        #expect(try schema(#"{"uniqueItems":true}"#).accepts(#"[{"a":1,"b":2},{"a":1,"b":3}]"#))
        #expect(try !schema(#"{"uniqueItems":true}"#).accepts(#"[{"a":1,"b":2},{"b":2,"a":1}]"#))
    }

    @Test func stringLengthCountsCodePoints() throws {
        let two = try schema(#"{"maxLength":2,"minLength":2}"#)
        #expect(try two.accepts(#""💩💩""#))
        #expect(try two.accepts(#""e\u0301""#))  // one grapheme, two code points
        #expect(try !two.accepts(#""é""#))
        #expect(try !two.accepts(#""abc""#))
        #expect(try two.accepts("12"))  // not a string: ignored
    }

    /// Strings of characters of one to four UTF-8 bytes, of every length up to 40 (so counted both in whole
    /// words of eight bytes and in the bytes after them): minLength and maxLength see exactly their code points.
    @Test func stringLengthCountsCodePointsOfEveryWidth() throws {
        var random = ECMARegexDifferentialTests.SplitMix(state: 8)
        let alphabet: [Character] = ["a", "é", "€", "💩", "\u{7F}", "\u{80}", "\u{7FF}", "\u{800}", "\u{FFFF}", "\u{10000}"]
        for _ in 0..<300 {
            let text = String((0..<random.next(41)).map { _ in alphabet[random.next(alphabet.count)] })
            let length = text.unicodeScalars.count
            let instance = "\"" + text + "\""
            #expect(try schema(#"{"minLength":\#(length),"maxLength":\#(length)}"#).accepts(instance), "\(text.debugDescription)")
            #expect(try !schema(#"{"minLength":\#(length + 1)}"#).accepts(instance), "\(text.debugDescription)")
            if length > 0 {
                #expect(try !schema(#"{"maxLength":\#(length - 1)}"#).accepts(instance), "\(text.debugDescription)")
            }
        }
    }

    @Test func numericBounds() throws {
        let bounded = try schema(#"{"minimum":1,"exclusiveMaximum":10.5,"multipleOf":0.5}"#)
        #expect(try bounded.accepts("1"))
        #expect(try bounded.accepts("10"))
        #expect(try !bounded.accepts("10.5"))
        #expect(try !bounded.accepts("0.5"))
        #expect(try !bounded.accepts("2.25"))
        #expect(try schema(#"{"multipleOf":0.01}"#).accepts("19.99"))
        #expect(try schema(#"{"exclusiveMinimum":0}"#).accepts("0.0001"))
        #expect(try !schema(#"{"maximum":9007199254740992}"#).accepts("9007199254740993"))
    }

    /// multipleOf is decided in exact decimal, from each number's shortest decimal form: what the schema
    /// author wrote, not what binary floating point makes of it.
    @Test func multipleOfIsExactInDecimal() throws {
        let cents = try schema(#"{"multipleOf":0.01}"#)
        for multiple in ["19.99", "0.07", "4.35", "-19.99", "0", "-0.0", "1e2", "1", "123456789012.34", "1e308", "-1e308"] {
            #expect(try cents.accepts(multiple), "\(multiple) is a multiple of 0.01")
        }
        for other in ["0.30000000000000004", "19.991", "0.001", "5e-324", "1.0000000000000002", "-0.005"] {
            #expect(try !cents.accepts(other), "\(other) is not a multiple of 0.01")
        }
        #expect(try schema(#"{"multipleOf":0.1}"#).accepts("0.3"))
        #expect(try !schema(#"{"multipleOf":0.1}"#).accepts("0.31"))
        #expect(try schema(#"{"multipleOf":3}"#).accepts("-9"))
        #expect(try !schema(#"{"multipleOf":3}"#).accepts("10"))
        #expect(try schema(#"{"multipleOf":3}"#).accepts("9.0"))
        #expect(try schema(#"{"multipleOf":2.5}"#).accepts("10"))
        #expect(try !schema(#"{"multipleOf":2.5}"#).accepts("11"))
        #expect(try schema(#"{"multipleOf":1e-8}"#).accepts("12391239123"))
        #expect(try schema(#"{"multipleOf":1e-300}"#).accepts("1e308"))
        #expect(try !schema(#"{"multipleOf":0.123456789}"#).accepts("1e308"))
        #expect(try schema(#"{"multipleOf":1e300}"#).accepts("3e300"))
        #expect(try !schema(#"{"multipleOf":1e300}"#).accepts("3e299"))
        #expect(try schema(#"{"multipleOf":9223372036854775807}"#).accepts("-9223372036854775807"))
        #expect(try !schema(#"{"multipleOf":9223372036854775807}"#).accepts("-9223372036854775808"))
        #expect(try schema(#"{"multipleOf":7}"#).accepts("7e300"))
        #expect(try !schema(#"{"multipleOf":7}"#).accepts("1e300"))
    }

    @Test func patternIsECMA262() throws {
        let digits = try schema(#"{"pattern":"^\\d+$"}"#)
        #expect(try digits.accepts(#""123""#))
        #expect(try !digits.accepts(#""١٢٣""#))  // ECMA-262 \d is ASCII only
        #expect(try !digits.accepts(#""123\n""#))  // $ matches only at the very end
        #expect(try schema(#"{"pattern":"a+"}"#).accepts(#""xxaxx""#))  // unanchored
        #expect(try schema(#"{"pattern":"^\\w+$"}"#).accepts(#""snake_case1""#))
        #expect(try !schema(#"{"pattern":"^\\w+$"}"#).accepts(#""éa""#))
        #expect(try schema(#"{"pattern":"^\\p{L}+$"}"#).accepts(#""éa""#))
        #expect(try schema(#"{"pattern":"^[^\\s]+$"}"#).accepts(#""a-b""#))
        #expect(try !schema(#"{"pattern":"^\\S+$"}"#).accepts(#""a\u00a0b""#))
    }

    @Test func formatAnnotatesByDefaultAndAssertsOnRequest() throws {
        let text = #"{"format":"date-time"}"#
        #expect(try schema(text).accepts(#""yesterday""#))
        let asserting = try schema(text, options: ValidationOptions(assertFormats: true))
        #expect(try !asserting.accepts(#""yesterday""#))
        #expect(try asserting.accepts(#""2026-11-26T14:30:00Z""#))
        #expect(try !asserting.accepts(#""2026-02-30T14:30:00Z""#))
        let formats = ValidationOptions(assertFormats: true)
        #expect(try schema(#"{"format":"uuid"}"#, options: formats).accepts(#""0b3a7d8e-5c1f-4f61-9b1e-1a2b3c4d5e6f""#))
        #expect(try !schema(#"{"format":"uuid"}"#, options: formats).accepts(#""0b3a7d8e5c1f4f619b1e1a2b3c4d5e6f""#))
        #expect(try schema(#"{"format":"email"}"#, options: formats).accepts(#""reader@example.com""#))
        #expect(try !schema(#"{"format":"ipv4"}"#, options: formats).accepts(#""256.1.1.1""#))
        #expect(try schema(#"{"format":"ipv6"}"#, options: formats).accepts(#""::1""#))
        #expect(try schema(#"{"format":"not-a-format"}"#, options: formats).accepts(#""anything""#))
    }
}

@Suite struct ObjectKeywordTests {
    @Test func propertiesRequiredAndAdditional() throws {
        let book = try schema("""
            {"type":"object","required":["title"],"properties":{"title":{"type":"string"},"":{"type":"integer"}},
             "patternProperties":{"^x-":{"type":"boolean"}},"additionalProperties":false}
            """)
        #expect(try book.accepts(#"{"title":"Dune","x-draft":true,"":3}"#))
        #expect(try !book.accepts(#"{"x-draft":true}"#))
        #expect(try !book.accepts(#"{"title":"Dune","x-draft":1}"#))
        #expect(try !book.accepts(#"{"title":"Dune","author":"Herbert"}"#))
        #expect(try !book.accepts(#"{"title":"Dune","":"x"}"#))
    }

    @Test func propertyNamesCountsAndDependencies() throws {
        #expect(try !schema(#"{"propertyNames":{"maxLength":3}}"#).accepts(#"{"long":1}"#))
        #expect(try schema(#"{"propertyNames":{"maxLength":3}}"#).accepts(#"{"abc":1}"#))
        #expect(try !schema(#"{"minProperties":2}"#).accepts(#"{"a":1}"#))
        #expect(try !schema(#"{"maxProperties":1}"#).accepts(#"{"a":1,"b":2}"#))
        let dependent = try schema(#"{"dependentRequired":{"isbn":["publisher"]},"dependentSchemas":{"pages":{"required":["format"]}}}"#)
        #expect(try dependent.accepts(#"{"publisher":"Ace"}"#))
        #expect(try !dependent.accepts(#"{"isbn":"978"}"#))
        #expect(try !dependent.accepts(#"{"pages":412}"#))
        #expect(try dependent.accepts(#"{"pages":412,"format":"paperback"}"#))
    }

    @Test func unevaluatedPropertiesSeesThroughApplicators() throws {
        let closed = try schema("""
            {"allOf":[{"properties":{"id":true}}],"if":{"required":["kind"]},"then":{"properties":{"kind":true}},
             "$ref":"#/$defs/titled","unevaluatedProperties":false,"$defs":{"titled":{"properties":{"title":true}}}}
            """)
        #expect(try closed.accepts(#"{"id":1,"title":"t","kind":"book"}"#))
        #expect(try !closed.accepts(#"{"id":1,"other":2}"#))
        let anyOf = try schema(#"{"anyOf":[{"properties":{"a":true},"required":["a"]},{"properties":{"b":true},"required":["b"]}],"unevaluatedProperties":false}"#)
        #expect(try anyOf.accepts(#"{"a":1,"b":2}"#))
        #expect(try !anyOf.accepts(#"{"a":1,"c":2}"#))
    }
}

@Suite struct ArrayKeywordTests {
    @Test func prefixItemsItemsAndCounts() throws {
        let pair = try schema(#"{"prefixItems":[{"type":"string"},{"type":"integer"}],"items":false,"minItems":1}"#)
        #expect(try pair.accepts(#"["a",1]"#))
        #expect(try !pair.accepts(#"["a",1,2]"#))
        #expect(try !pair.accepts(#"[1]"#))
        #expect(try !pair.accepts("[]"))
        #expect(try !schema(#"{"maxItems":1}"#).accepts("[1,2]"))
    }

    @Test func containsWithBounds() throws {
        let some = try schema(#"{"contains":{"type":"integer"},"minContains":2,"maxContains":3}"#)
        #expect(try !some.accepts(#"[1,"a"]"#))
        #expect(try some.accepts(#"[1,"a",2]"#))
        #expect(try !some.accepts("[1,2,3,4]"))
        #expect(try schema(#"{"contains":false,"minContains":0}"#).accepts("[1]"))
    }

    @Test func unevaluatedItems() throws {
        let tuple = try schema(#"{"prefixItems":[true],"contains":{"type":"string"},"unevaluatedItems":false}"#)
        #expect(try tuple.accepts(#"[1,"a","b"]"#))
        #expect(try !tuple.accepts(#"[1,"a",2]"#))
    }
}

@Suite struct ApplicatorAndReferenceTests {
    @Test func combinators() throws {
        #expect(try !schema(#"{"allOf":[{"minimum":1},{"maximum":3}]}"#).accepts("4"))
        #expect(try schema(#"{"anyOf":[{"type":"string"},{"minimum":3}]}"#).accepts("4"))
        #expect(try !schema(#"{"oneOf":[{"type":"integer"},{"minimum":3}]}"#).accepts("4"))
        #expect(try schema(#"{"oneOf":[{"type":"integer"},{"minimum":3}]}"#).accepts("2"))
        #expect(try !schema(#"{"not":{"type":"null"}}"#).accepts("null"))
        let conditional = try schema(#"{"if":{"minimum":10},"then":{"multipleOf":10},"else":{"maximum":5}}"#)
        #expect(try conditional.accepts("20"))
        #expect(try !conditional.accepts("15"))
        #expect(try !conditional.accepts("7"))
        #expect(try conditional.accepts("4"))
    }

    @Test func refsAcrossDocumentsByID() throws {
        var registry = SchemaRegistry()
        try registry.register(JSONValue(parsing: """
            {"$id":"https://bookshelf.example/contracts/book.json","type":"object","required":["title"],
             "properties":{"title":{"$ref":"#nonEmpty"}},"$defs":{"s":{"$anchor":"nonEmpty","type":"string","minLength":1}}}
            """))
        let event = try schema(#"{"$id":"https://bookshelf.example/contracts/event.json","properties":{"data":{"$ref":"book.json"}}}"#,
                               registry: registry)
        #expect(try event.accepts(#"{"data":{"title":"Dune"}}"#))
        #expect(try !event.accepts(#"{"data":{"title":""}}"#))
        let byPointer = try registry.schema(id: "https://bookshelf.example/contracts/book.json#/$defs/s")
        #expect(try !byPointer.accepts(#""""#))
    }

    @Test func recursiveRefs() throws {
        let tree = try schema(##"{"type":"object","properties":{"children":{"type":"array","items":{"$ref":"#"}}},"required":["name"]}"##)
        #expect(try tree.accepts(#"{"name":"a","children":[{"name":"b","children":[]}]}"#))
        #expect(try !tree.accepts(#"{"name":"a","children":[{"children":[]}]}"#))
    }

    @Test func dynamicRefResolvesInTheDynamicScope() throws {
        var registry = SchemaRegistry()
        try registry.register(JSONValue(parsing: """
            {"$id":"https://bookshelf.example/list.json","$dynamicAnchor":"item","type":"array",
             "items":{"$dynamicRef":"#item"}}
            """))
        // Ignoring the dynamic scope, "#item" would be the generic list itself (an array).
        let strings = try schema("""
            {"$id":"https://bookshelf.example/strings.json","$ref":"list.json",
             "$defs":{"s":{"$dynamicAnchor":"item","type":"string"}}}
            """, registry: registry)
        #expect(try strings.accepts(#"["a","b"]"#))
        #expect(try !strings.accepts(#"["a",1]"#))
    }

    @Test func vocabularyTurnsKeywordsOff() throws {
        var registry = SchemaRegistry()
        try registry.register(JSONValue(parsing: """
            {"$id":"https://bookshelf.example/meta/no-validation","$vocabulary":{
              "https://json-schema.org/draft/2020-12/vocab/core":true,
              "https://json-schema.org/draft/2020-12/vocab/applicator":true}}
            """))
        let lenient = try schema(#"{"$schema":"https://bookshelf.example/meta/no-validation","properties":{"a":{"type":"string"}},"minimum":5}"#,
                                 registry: registry, options: ValidationOptions(checkSchema: false))
        #expect(try lenient.accepts("1"))
        #expect(try lenient.accepts(#"{"a":"x"}"#))
        try registry.register(JSONValue(parsing: """
            {"$id":"https://bookshelf.example/meta/exotic","$vocabulary":{"https://example.com/vocab/exotic":true}}
            """))
        #expect(throws: SchemaError.self) {
            try schema(#"{"$schema":"https://bookshelf.example/meta/exotic"}"#, registry: registry,
                       options: ValidationOptions(checkSchema: false))
        }
    }

    @Test func booleanSchemas() throws {
        #expect(try schema("true").accepts("42"))
        #expect(try !schema("false").accepts("42"))
    }
}
