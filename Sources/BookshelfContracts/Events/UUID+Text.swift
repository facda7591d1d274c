import FoundationEssentials

/// Ids as the contracts write them: the canonical 8-4-4-4-12 form in lower case.
///
/// Foundation reads and writes that form through `sscanf` and `snprintf`; a rebuild reads two ids per
/// event and a list orders books by id, so those calls took half of a replay's time. These do the same
/// with table lookups.
extension UUID {
    /// Parses the canonical form, hex digits in either case; nil for anything else (braces, missing or
    /// misplaced hyphens, other lengths).
    public init?(text: some StringProtocol) {
        let parsed = text.utf8.withContiguousStorageIfAvailable { UUID(utf8: $0) }
            ?? Array(text.utf8).withUnsafeBufferPointer { UUID(utf8: $0) }
        guard let parsed else { return nil }
        self = parsed
    }

    /// Parses the canonical form from UTF-8 bytes, as `init?(text:)` does, for a reader that holds the
    /// bytes (a JSON string) and need not make a `String` of them first.
    package init?(utf8 text: UnsafeBufferPointer<UInt8>) {
        let hyphen = UInt8(ascii: "-")
        guard text.count == 36, text[8] == hyphen, text[13] == hyphen, text[18] == hyphen, text[23] == hyphen else {
            return nil
        }
        // Every digit is read whatever came before and the verdict is taken once at the end: no branch per
        // digit for the processor to mispredict (this runs twice per event of a replay).
        var invalid: UInt8 = 0
        @inline(__always) func digits(_ range: Range<Int>, into word: inout UInt64) {
            for index in range {
                let byte = text[index]
                let decimal = byte &- UInt8(ascii: "0")
                // Setting bit 5 maps A–F onto a–f and leaves no other byte in a–f.
                let letter = (byte | 0x20) &- UInt8(ascii: "a")
                invalid |= (decimal >= 10 ? 1 : 0) & (letter >= 6 ? 1 : 0)
                // Valid digits are 0x30–0x39, 0x41–0x46 and 0x61–0x66: bit 6 tells letters, the low four
                // bits are the value (minus 9 for a letter).
                word = word << 4 | UInt64(byte & 0x0F &+ 9 &* (byte >> 6))
            }
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        digits(0..<8, into: &high)
        digits(9..<13, into: &high)
        digits(14..<18, into: &high)
        digits(19..<23, into: &low)
        digits(24..<36, into: &low)
        guard invalid == 0 else { return nil }
        self.init(words: high, low)
    }

    /// The UUID whose 16 bytes are `high` then `low`, most significant byte first.
    private init(words high: UInt64, _ low: UInt64) {
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &value) { bytes in
            bytes.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
            bytes.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        self.init(uuid: value)
    }

    /// A version 4 (random) UUID made of two 64-bit words, most significant first; the version and variant
    /// bits are set here, the other 122 bits are the caller's.
    package init(version4 high: UInt64, _ low: UInt64) {
        self.init(words: high & ~0xF000 | 0x4000, low & ~(0b11 << 62) | (0b10 << 62))
    }

    /// The canonical form in lower case, as every contract requires it.
    public var lowercaseText: String {
        let hex: StaticString = "0123456789abcdef"
        return withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var index = 0
                for (number, byte) in bytes.enumerated() {
                    if number == 4 || number == 6 || number == 8 || number == 10 {
                        out[index] = UInt8(ascii: "-")
                        index += 1
                    }
                    out[index] = hex.utf8Start[Int(byte >> 4)]
                    out[index + 1] = hex.utf8Start[Int(byte & 0x0F)]
                    index += 2
                }
                return 36
            }
        }
    }

    /// The order of the ids' canonical texts (hex digits sort as the values they stand for), without
    /// making the texts.
    package static func textOrder(_ a: UUID, _ b: UUID) -> Bool {
        a.textOrderKey < b.textOrderKey
    }

    /// Two words that compare as the canonical texts do, for keeping in a sort key.
    package var textOrderKey: (UInt64, UInt64) {
        withUnsafeBytes(of: uuid) { bytes in
            (bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self).bigEndian,
             bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self).bigEndian)
        }
    }
}
