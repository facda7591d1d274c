/// Why a text is not JSON, and where: the position of the first offending character.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The text is not well-formed JSON (syntax, invalid UTF-8, truncated input).
        case malformed = "json.malformed"
        /// The file could not be opened or read.
        case unreadable = "json.unreadable"
    }

    public let code: Code
    /// What is wrong, in jansson's words (for example "'}' expected near ']'").
    public let message: String
    /// 1-based line of the offending character; 0 when the input could not be read at all.
    public let line: Int
    /// 1-based column, counted in Unicode code points.
    public let column: Int
    /// 0-based byte offset into the input.
    public let offset: Int

    /// A parse fails the same way every time; only an unreadable file may succeed later.
    public var isRetryable: Bool { code == .unreadable }

    package init(code: Code, message: String, line: Int, column: Int, offset: Int) {
        self.code = code
        self.message = message
        self.line = line
        self.column = column
        self.offset = offset
    }

    public var description: String {
        line > 0 ? "line \(line), column \(column): \(message)" : message
    }
}
