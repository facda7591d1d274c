import BookshelfJSON
import BookshelfJSONSchema
import Testing

@Suite struct ErrorReportingTests {
    @Test func errorsLocateTheInstanceAndTheKeywordThroughRefs() throws {
        let event = try schema("""
            {"$id":"https://bookshelf.example/event.json","properties":{"data":{"$ref":"#/$defs/book"}},
             "$defs":{"book":{"properties":{"published":{"type":"integer"}},"required":["title"]}}}
            """)
        let result = event.validate(try JSONValue(parsing: #"{"data":{"published":"1965"}}"#))
        #expect(!result.isValid)
        let byKeyword = Dictionary(grouping: result.errors, by: \.keywordLocation)
        let type = try #require(byKeyword["/properties/data/$ref/properties/published/type"]?.first)
        #expect(type.instanceLocation == "/data/published")
        #expect(type.absoluteKeywordLocation == "https://bookshelf.example/event.json#/$defs/book/properties/published/type")
        #expect(type.message == "expected integer, got string")
        let required = try #require(byKeyword["/properties/data/$ref/required"]?.first)
        #expect(required.instanceLocation == "/data")
        #expect(required.message.contains("\"title\""))
    }

    @Test func pointerTokensAreEscaped() throws {
        let result = try schema(#"{"properties":{"a/b~c":{"type":"string"}}}"#).validate(JSONValue(parsing: #"{"a/b~c":1}"#))
        #expect(result.errors.map(\.instanceLocation) == ["/a~1b~0c"])
        #expect(result.errors.map(\.keywordLocation) == ["/properties/a~1b~0c/type"])
    }

    @Test func anyOfReportsItsBranchesOnlyWhenAllFail() throws {
        let either = try schema(#"{"anyOf":[{"type":"string"},{"type":"integer"}]}"#)
        #expect(either.validate(try JSONValue(parsing: "3")).isValid)
        let failure = either.validate(try JSONValue(parsing: "true"))
        #expect(Set(failure.errors.map(\.keywordLocation)) == ["/anyOf", "/anyOf/0/type", "/anyOf/1/type"])
    }

    @Test func basicOutputFormat() throws {
        let result = try schema(#"{"required":["id"]}"#).validate(JSONValue(parsing: "{}"))
        let output = result.basicOutput
        #expect(output["valid"]?.bool == false)
        let error = try #require(output["errors"]?[0])
        #expect(error["keywordLocation"]?.string == "/required")
        #expect(error["instanceLocation"]?.string == "")
        #expect(error["absoluteKeywordLocation"]?.string == "urn:bookshelf:schema:anonymous#/required")
        #expect(error["error"]?.string == "the required property \"id\" is missing")
        #expect(try schema("{}").validate(JSONValue(parsing: "1")).basicOutput == ["valid": true])
    }
}

@Suite struct SchemaErrorTests {
    func compileError(_ text: String, registry: SchemaRegistry = SchemaRegistry()) throws -> SchemaError {
        do {
            _ = try schema(text, registry: registry)
        } catch let error as SchemaError {
            return error
        }
        Issue.record("expected \(text) not to compile")
        throw CancellationError()
    }

    @Test func unknownTypeIsNamed() throws {
        let error = try compileError(#"{"properties":{"a":{"type":"strnig"}}}"#)
        #expect(error.code == .unknownType)
        #expect(error.message.contains("\"strnig\""))
        #expect(error.location == "urn:bookshelf:schema:anonymous#/properties/a/type")
        #expect(!error.isRetryable)
    }

    @Test func badRegexIsNamed() throws {
        let error = try compileError(#"{"pattern":"([a-z]"}"#)
        #expect(error.code == .invalidPattern)
        #expect(error.message.contains("([a-z]"))
        #expect(try compileError(#"{"patternProperties":{"[":{}}}"#).code == .invalidPattern)
        // The reason comes from the ECMA-262 parser, with where it stopped.
        #expect(try compileError(#"{"pattern":"\\a"}"#).message.contains("\\a is not a valid escape with the u flag at offset 2"))
        #expect(try compileError(#"{"pattern":"\\p{Script=Greek}"}"#).message.contains("script properties are not supported"))
    }

    @Test func aPatternThatGivesUpSaysSo() throws {
        // Backreferences rule out the bounded search: this one runs out of steps, and says so.
        let result = try schema(#"{"pattern":"^(a*)*\\1b$"}"#).validate(JSONValue(parsing: "\"" + String(repeating: "a", count: 3000) + "\""))
        #expect(result.errors.map(\.keywordLocation) == ["/pattern"])
        #expect(result.errors.first?.message.contains("gave up") == true)
    }

    @Test func unresolvedRefIsNamed() throws {
        let error = try compileError(#"{"$id":"https://bookshelf.example/a.json","$ref":"missing.json"}"#)
        #expect(error.code == .unresolvedReference)
        #expect(error.message.contains("https://bookshelf.example/missing.json"))
        #expect(try compileError(##"{"$ref":"#/$defs/nowhere"}"##).code == .unresolvedReference)
    }

    @Test func malformedKeywordValues() throws {
        #expect(try compileError(#"{"minLength":"3"}"#).code == .invalidKeyword)
        #expect(try compileError(#"{"required":[1]}"#).code == .invalidKeyword)
        #expect(try compileError(#"{"allOf":[]}"#).code == .invalidKeyword)
    }

    @Test func schemaInvalidAgainstTheMetaschema() throws {
        let registry = try metaschemaRegistry()
        let error = try compileError(#"{"properties":{"a":{"title":3}}}"#, registry: registry)
        #expect(error.code == .invalidSchema)
        #expect(error.violations.contains { $0.instanceLocation == "/properties/a/title" })
        // A valid schema that refers to the metaschema itself compiles.
        let meta = try schema(#"{"$ref":"https://json-schema.org/draft/2020-12/schema"}"#, registry: registry)
        #expect(try meta.accepts(#"{"type":"string"}"#))
        #expect(try !meta.accepts(#"{"type":12}"#))
    }

    @Test func duplicateIDsAreRefused() throws {
        var registry = SchemaRegistry()
        try registry.register(JSONValue(parsing: #"{"$id":"https://bookshelf.example/x.json","type":"string"}"#))
        #expect(throws: SchemaError.self) {
            try registry.register(JSONValue(parsing: #"{"$id":"https://bookshelf.example/x.json","type":"integer"}"#))
        }
        #expect(throws: SchemaError.self) { try registry.register(JSONValue(parsing: #"{"type":"integer"}"#)) }
    }
}

extension SchemaErrorTests {
    @Test func misshapenKeywordsAreTheMetaschemasToReportWhenItIsLoaded() throws {
        let checked = try compileError(#"{"minLength":-1}"#, registry: try metaschemaRegistry())
        #expect(checked.code == .invalidSchema)
        #expect(checked.violations.contains { $0.instanceLocation == "/minLength" })
        let unchecked = try compileError(#"{"minLength":-1}"#)
        #expect(unchecked.code == .invalidKeyword)
        #expect(unchecked.message == "\"minLength\" must be a non-negative integer, not -1")
    }

    @Test func namedErrorsComeBeforeTheMetaschemaCheck() throws {
        // The metaschema would also reject this type name, but less helpfully.
        #expect(try compileError(#"{"type":"strnig"}"#, registry: try metaschemaRegistry()).code == .unknownType)
    }
}
