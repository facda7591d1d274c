import BookshelfJSON
import Testing

@Suite struct JSONValueTests {
    @Test func parsesEveryKind() throws {
        let value = try JSONValue(parsing: #"{"s":"é","i":-3,"r":2.5,"t":true,"f":false,"n":null,"a":[1,"x"],"o":{}}"#)
        #expect(value.kind == .object)
        #expect(value["s"]?.string == "é")
        #expect(value["i"]?.int == -3)
        #expect(value["r"]?.double == 2.5)
        #expect(value["r"]?.int == nil)
        #expect(value["t"]?.bool == true)
        #expect(value["f"]?.bool == false)
        #expect(value["n"]?.isNull == true)
        #expect(value["a"]?.count == 2)
        #expect(value["a"]?[1]?.string == "x")
        #expect(value["a"]?[2] == nil)
        #expect(value["o"]?.kind == .object)
        #expect(value["missing"] == nil)
        #expect(value.keys == ["s", "i", "r", "t", "f", "n", "a", "o"])
    }

    @Test func duplicateKeysAreRefusedOnlyWhenAsked() throws {
        let text = #"{"a":1,"b":{"c":2,"c":3}}"#
        #expect(try JSONValue(parsing: Array(text.utf8))["b"]?["c"]?.int == 3)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: Array(text.utf8), rejectingDuplicateKeys: true) }
    }

    @Test func parsesScalarsAtTopLevel() throws {
        #expect(try JSONValue(parsing: "42").int == 42)
        #expect(try JSONValue(parsing: #""hi""#).string == "hi")
        #expect(try JSONValue(parsing: "null").isNull)
    }

    @Test func reportsLineAndColumnOfMalformedInput() {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: "{\n  \"a\": 1,\n  \"b\" 2\n}") }
        do {
            _ = try JSONValue(parsing: "{\n  \"a\": 1,\n  \"b\" 2\n}")
        } catch {
            #expect(error.code == .malformed)
            #expect(error.line == 3)
            #expect(error.column == 7)
            #expect(error.isRetryable == false)
            #expect(error.description.hasPrefix("line 3, column 7: "))
        }
    }

    @Test func rejectsTrailingGarbageAndBadUTF8() {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: "{} x") }
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: [0x22, 0xFF, 0x22]) }
    }

    @Test func unreadableFileIsItsOwnCode() {
        do {
            _ = try JSONValue(contentsOfFile: "/nonexistent/file.json")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unreadable)
        }
    }

    @Test func integersBeyond64BitsStillParse() throws {
        let value = try JSONValue(parsing: "[98249283749234923498293171823948729348710298301928331]")
        #expect(value[0]?.isInteger == true)
        #expect(value[0]?.double == 98249283749234923498293171823948729348710298301928331.0)
    }

    @Test func numbersCompareByValue() throws {
        #expect(try JSONValue(parsing: "1") == JSONValue(parsing: "1.0"))
        #expect(try JSONValue(parsing: "1") != JSONValue(parsing: "1.5"))
        #expect(try JSONValue(parsing: "1.0").isInteger)
        #expect(try JSONValue(parsing: "1.0").int == 1)
        #expect(try JSONValue(parsing: "[1,{\"a\":2.0}]") == JSONValue(parsing: "[1.0,{\"a\":2}]"))
        #expect(Set([JSONValue.number(1), .number(1.0)]).count == 1)
        // 2^53 + 1 is not representable as a double: it must not equal 2^53 as a double.
        #expect(JSONValue.number(9_007_199_254_740_993) != JSONValue.number(9_007_199_254_740_992.0))
    }

    @Test func objectsIgnoreMemberOrderButArraysDoNot() throws {
        let a = try JSONValue(parsing: #"{"x":1,"y":[1,2]}"#)
        let b = try JSONValue(parsing: #"{"y":[1,2],"x":1}"#)
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(try JSONValue(parsing: "[1,2]") != JSONValue(parsing: "[2,1]"))
        #expect(try JSONValue(parsing: "{\"x\":1}") != JSONValue(parsing: "{\"x\":1,\"y\":2}"))
        #expect(JSONValue.bool(false) != JSONValue.number(0))
        #expect(JSONValue.null != JSONValue.bool(false))
    }

    @Test func buildsValuesAndSerializesCompactly() {
        let book: JSONValue = ["id": "b-1", "title": "Dune", "pages": 412, "rating": 4.5, "tags": ["sf", nil, true]]
        #expect(book.serialized() == #"{"id":"b-1","title":"Dune","pages":412,"rating":4.5,"tags":["sf",null,true]}"#)
        #expect(book.serialized(sortedKeys: true) == #"{"id":"b-1","pages":412,"rating":4.5,"tags":["sf",null,true],"title":"Dune"}"#)
        #expect(JSONValue.object([("a", .number(0.1)), ("b", .number(1.0))]).serialized() == #"{"a":0.1,"b":1.0}"#)
    }

    /// Sorted keys follow Swift's `String` order, at every depth: a key that prefixes another comes first,
    /// upper case before lower, and an object with a non-ASCII key is ordered like the rest.
    @Test func sortedKeysFollowStringOrderAtEveryDepth() throws {
        let text = #"{"b":1,"ab":{"z":[{"y":1,"x":2}],"Z":{}},"a":true,"éclair":0,"e":null,"":"empty"}"#
        let value = try JSONValue(parsing: text)
        #expect(value.serialized(sortedKeys: true) == #"{"":"empty","a":true,"ab":{"Z":{},"z":[{"x":2,"y":1}]},"b":1,"e":null,"éclair":0}"#)
        // Forty keys from "Z0" down to "A25", written in reverse order: sorted as Swift sorts their strings.
        var members: [(String, JSONValue)] = []
        for index in 0..<40 {
            let letter = Character(Unicode.Scalar(UInt8(90 - index % 26)))
            members.append(("\(letter)\(index)", .number(index)))
        }
        let written = try JSONValue(parsing: JSONValue.object(members).serialized(sortedKeys: true))
        let keys: [String] = written.members.map { $0.key }
        #expect(keys == members.map { $0.0 }.sorted())
    }

    @Test func serializationEscapesAndRoundTrips() throws {
        let text = #"{"q":"a\"b\\c\n\u0001\u0000é"}"#
        let value = try JSONValue(parsing: text)
        #expect(value["q"]?.string == "a\"b\\c\n\u{1}\u{0}é")
        #expect(value.serialized() == text)
        #expect(try JSONValue(parsing: value.serialized()) == value)
    }

    @Test func aReusedWriterWritesEachDocumentAsSerializedBytesDoes() throws {
        let long = JSONValue.object([("text", .string(String(repeating: "plain text, then \"quoted\" and \u{7}\n ", count: 40)))])
        let short = JSONValue.object([("n", 1), ("s", "é")])
        var writer = JSONWriter(capacity: 16)
        for value in [long, short, long] {
            writer.removeAll()
            writer.write(value)
            #expect(writer.withUnsafeBytes { Array($0) } == value.serializedBytes())
        }
    }

    @Test func stringsAreEscapedWhereverTheSpecialBytesFall() throws {
        // Every offset of a special byte within a run of plain ones, so that no stride of a chunked scan
        // can skip one.
        for special in ["\"", "\\", "\n", "\u{1}", "\u{1F}"] {
            for offset in 0..<20 {
                let text = String(repeating: "a", count: offset) + special + String(repeating: "é", count: 20 - offset)
                let value = JSONValue.string(text)
                #expect(try JSONValue(parsing: value.serialized()) == value)
                #expect(value.serialized().utf8.filter { $0 < 0x20 }.isEmpty)
            }
        }
    }

    @Test func shortStringsAndTailsAreEscapedExactly() throws {
        // Strings and tails shorter than the scan's eight-byte word: a special byte at each place of each short
        // length is escaped, and nothing past the string is written.
        let escaped = ["\"": #"\""#, "\\": #"\\"#, "\n": #"\n"#, "\u{1}": #"\u0001"#, "\u{1F}": #"\u001f"#]
        for (special, escape) in escaped {
            for before in 0..<10 {
                for after in 0..<10 {
                    let plain = (String(repeating: "a", count: before), String(repeating: "z", count: after))
                    let value = JSONValue.object([("k", .string(plain.0 + special + plain.1)), ("n", 1)])
                    #expect(value.serialized() == #"{"k":""# + plain.0 + escape + plain.1 + #"","n":1}"#)
                }
            }
        }
        for length in 0..<20 {
            let text = String(repeating: "é", count: length / 2) + String(repeating: "x", count: length % 2)
            #expect(JSONValue.string(text).serialized() == "\"" + text + "\"")
        }
    }

    @Test func childrenOutliveTheirParentVariable() throws {
        var child: JSONValue?
        do {
            let parent = try JSONValue(parsing: #"{"deep":{"name":"kept"}}"#)
            child = parent["deep"]
        }
        #expect(child?["name"]?.string == "kept")
    }

    @Test func builtValuesShareParsedParts() throws {
        let parsed = try JSONValue(parsing: #"{"a":[1,2]}"#)
        let built = JSONValue.object([("copy", parsed["a"]!)])
        #expect(built["copy"] == parsed["a"])
        #expect(built.serialized() == #"{"copy":[1,2]}"#)
    }

    @Test func membersIterateInDocumentOrder() throws {
        let value = try JSONValue(parsing: #"{"z":1,"a":2,"m":3}"#)
        #expect(value.members.map(\.key) == ["z", "a", "m"])
        #expect(value.members.map { $0.value.int! } == [1, 2, 3])
        #expect(try JSONValue(parsing: "[3,4]").elements.map { $0.int! } == [3, 4])
        #expect(try JSONValue(parsing: "3").members.map(\.key).isEmpty)
    }
}
