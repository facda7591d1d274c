import CJansson
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension JSONValue {
    /// Parses one JSON text (any value at the top level, not only objects and arrays).
    public init(parsing text: String) throws(JSONParseError) {
        var text = text
        self = try text.withUTF8 { JSONValue.parse(UnsafeRawBufferPointer($0)) }.get()
    }

    /// Where a parsed document's jansson nodes are allocated: a choice of this package's event codecs, which
    /// know how long their documents live.
    package enum Placement: Sendable {
        /// With malloc, as jansson does by default.
        case usual
        /// Every node as ``JSONValue/withShortLivedNodes(_:)`` places them: for a document that is dropped
        /// whole soon after, such as an event read into a view's own types.
        case shortLived
        /// The root and its own scalar members as ``shortLived``, every container nested in the root with
        /// malloc: for a document dropped soon after of which a part may be kept, such as an event whose
        /// `data` is handed on. Kept, such a part keeps no arena chunk.
        case shortLivedExceptNested
    }

    /// Parses one JSON text from UTF-8 bytes. With `rejectingDuplicateKeys`, an object that names a member
    /// twice is malformed: RFC 8259 leaves its meaning open (one reader takes the first, another the last),
    /// so an edge that checks a body and then hands its bytes on must refuse it rather than guess.
    public init<Bytes: Collection<UInt8>>(parsing bytes: Bytes, rejectingDuplicateKeys: Bool = false) throws(JSONParseError) {
        try self.init(parsing: bytes, rejectingDuplicateKeys: rejectingDuplicateKeys, placement: .usual)
    }

    /// Parses one JSON text from UTF-8 bytes with its nodes placed as `placement` says.
    package init<Bytes: Collection<UInt8>>(parsing bytes: Bytes, rejectingDuplicateKeys: Bool = false,
                                           placement: Placement) throws(JSONParseError) {
        let parse = { (buffer: UnsafeRawBufferPointer) in
            switch placement {
            case .usual:
                JSONValue.parse(buffer, rejectingDuplicateKeys: rejectingDuplicateKeys)
            case .shortLived, .shortLivedExceptNested:
                JSONValue.withShortLivedNodes {
                    JSONValue.parse(buffer, rejectingDuplicateKeys: rejectingDuplicateKeys,
                                    nestingOutsideArena: placement == .shortLivedExceptNested)
                }
            }
        }
        let parsed = bytes.withContiguousStorageIfAvailable { parse(UnsafeRawBufferPointer($0)) }
        self = try (parsed ?? Array(bytes).withUnsafeBytes(parse)).get()
    }

    /// Parses one JSON text from UTF-8 bytes in memory.
    public init(parsing buffer: UnsafeRawBufferPointer) throws(JSONParseError) {
        self = try JSONValue.parse(buffer).get()
    }

    /// Reads and parses the JSON file at `path`.
    public init(contentsOfFile path: String) throws(JSONParseError) {
        let bytes = try JSONValue.readFile(path)
        self = try bytes.withUnsafeBytes { JSONValue.parse($0) }.get()
    }

    /// Any top-level value, NUL (`\u0000`) allowed inside strings as RFC 8259 allows, and integers beyond
    /// 64 bits read as reals: what jansson's `json_loadb` gives with `JSON_DECODE_ANY | JSON_ALLOW_NUL`
    /// (`JSONReader` explains why it does the reading).
    static func parse(_ buffer: UnsafeRawBufferPointer, rejectingDuplicateKeys: Bool = false,
                      nestingOutsideArena: Bool = false) -> Result<JSONValue, JSONParseError> {
        var result = JSONReader.read(buffer, rejectingDuplicateKeys: rejectingDuplicateKeys, integersAsReals: false,
                                     nestingOutsideArena: nestingOutsideArena)
        // jansson stores integers beyond 64 bits only as doubles, and then reads the whole document with
        // JSON_DECODE_INT_AS_REAL; only such documents pay for a second pass.
        if case .failure(let failure) = result, failure.kind == .integerOverflow {
            result = JSONReader.read(buffer, rejectingDuplicateKeys: rejectingDuplicateKeys, integersAsReals: true,
                                     nestingOutsideArena: nestingOutsideArena)
        }
        switch result {
        case .success(let root): return .success(JSONValue(adopting: root))
        case .failure(let failure): return .failure(JSONParseError(failure, in: buffer))
        }
    }

    private static func readFile(_ path: String) throws(JSONParseError) -> [UInt8] {
        func unreadable(_ verb: String) -> JSONParseError {
            JSONParseError(code: .unreadable, message: "unable to \(verb) \(path): \(String(cString: strerror(errno)))",
                           line: 0, column: 0, offset: 0)
        }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw unreadable("open") }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(64 * 1024, bytes.count))) }
            let got = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
            if got == 0 { break }
            if got < 0 {
                if errno == EINTR { continue }
                throw unreadable("read")
            }
            filled += got
        }
        bytes.removeSubrange(filled...)
        return bytes
    }
}

extension JSONParseError {
    /// The reader's failure with the line and column of its offset, in jansson's words: a message about a
    /// token names it ("'}' expected near ']'", "... near end of file").
    init(_ failure: JSONReader.Failure, in buffer: UnsafeRawBufferPointer) {
        let bytes = buffer.bindMemory(to: UInt8.self)
        let offset = min(failure.offset, bytes.count)
        var line = 1
        var column = 1
        for byte in bytes[..<offset] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        var message = failure.message
        if failure.namesToken {
            message += offset == bytes.count ? " near end of file" : " near '\(Self.token(in: bytes, at: offset))'"
        }
        self.init(code: .malformed, message: message, line: line, column: column, offset: offset)
    }

    /// The token that starts at `offset`, for a message: a word or number, a string, or one character,
    /// shortened to 20 bytes.
    private static func token(in bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> String {
        func isWordByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."):
                true
            default:
                false
            }
        }
        var stop = offset + 1
        if isWordByte(bytes[offset]) {
            while stop < bytes.count && isWordByte(bytes[stop]) { stop += 1 }
        } else if bytes[offset] == UInt8(ascii: "\"") {
            while stop < bytes.count && bytes[stop] != UInt8(ascii: "\"") && bytes[stop] >= 0x20 { stop += 1 }
            stop = min(stop + 1, bytes.count)
        } else {
            while stop < bytes.count && bytes[stop] & 0xC0 == 0x80 { stop += 1 }
        }
        return String(decoding: bytes[offset..<min(stop, offset + 20)], as: UTF8.self)
    }
}
