import CJansson

extension JSONValue {
    /// Parses one JSON text (any value at the top level, not only objects and arrays).
    public init(parsing text: String) throws(JSONParseError) {
        var text = text
        self = try text.withUTF8 { JSONValue.parse(UnsafeRawBufferPointer($0)) }.get()
    }

    /// Parses one JSON text from UTF-8 bytes.
    public init<Bytes: Collection<UInt8>>(parsing bytes: Bytes) throws(JSONParseError) {
        let parsed = bytes.withContiguousStorageIfAvailable { JSONValue.parse(UnsafeRawBufferPointer($0)) }
        self = try (parsed ?? Array(bytes).withUnsafeBytes { JSONValue.parse($0) }).get()
    }

    /// Parses one JSON text from UTF-8 bytes in memory.
    public init(parsing buffer: UnsafeRawBufferPointer) throws(JSONParseError) {
        self = try JSONValue.parse(buffer).get()
    }

    static func parse(_ buffer: UnsafeRawBufferPointer) -> Result<JSONValue, JSONParseError> {
        var error = json_error_t()
        let base = buffer.baseAddress?.assumingMemoryBound(to: CChar.self) ?? UnsafePointer(bitPattern: 1)!
        if let root = json_loadb(base, buffer.count, JSONValue.decodeFlags, &error) {
            return .success(JSONValue(adopting: root))
        }
        // Integers beyond 64 bits are valid JSON; jansson stores them only as doubles, so only
        // such documents pay for a second pass.
        if json_error_code(&error) == json_error_numeric_overflow,
           let root = json_loadb(base, buffer.count, JSONValue.decodeFlags | Int(JSON_DECODE_INT_AS_REAL), &error) {
            return .success(JSONValue(adopting: root))
        }
        return .failure(JSONParseError(jansson: error))
    }

    /// Reads and parses the JSON file at `path`.
    public init(contentsOfFile path: String) throws(JSONParseError) {
        var error = json_error_t()
        if let root = json_load_file(path, JSONValue.decodeFlags, &error) {
            self.init(adopting: root)
            return
        }
        if json_error_code(&error) == json_error_numeric_overflow,
           let root = json_load_file(path, JSONValue.decodeFlags | Int(JSON_DECODE_INT_AS_REAL), &error) {
            self.init(adopting: root)
            return
        }
        throw JSONParseError(jansson: error)
    }

    /// Any top-level value; NUL (`\u0000`) allowed inside strings, as RFC 8259 allows.
    static let decodeFlags = Int(JSON_DECODE_ANY | JSON_ALLOW_NUL)
}

extension JSONParseError {
    init(jansson error: json_error_t) {
        var error = error
        let message = withUnsafeBytes(of: &error.text) { buffer in
            String(cString: buffer.baseAddress!.assumingMemoryBound(to: CChar.self))
        }
        let code: Code = json_error_code(&error) == json_error_cannot_open_file ? .unreadable : .malformed
        // jansson reports the position after the offending token ("near 'TOKEN'"); people
        // expect the column where it starts.
        var column = max(0, Int(error.column))
        var position = max(0, Int(error.position))
        if let near = message.firstRange(of: " near '"), message.hasSuffix("'") {
            let token = message[near.upperBound..<message.index(before: message.endIndex)]
            if column >= token.unicodeScalars.count && position >= token.utf8.count {
                column -= token.unicodeScalars.count - 1
                position -= token.utf8.count
            }
        }
        self.init(code: code, message: message, line: max(0, Int(error.line)), column: column, offset: position)
    }
}
