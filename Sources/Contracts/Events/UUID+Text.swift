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
        let parsed = text.utf8.withContiguousStorageIfAvailable { UUID.parse(UnsafeRawBufferPointer($0)) }
            ?? Array(text.utf8).withUnsafeBytes { UUID.parse($0) }
        guard let parsed else { return nil }
        self.init(uuid: parsed)
    }

    private static func parse(_ text: UnsafeRawBufferPointer) -> uuid_t? {
        guard text.count == 36 else { return nil }
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let valid = withUnsafeMutableBytes(of: &value) { bytes -> Bool in
            var index = 0
            for byte in 0..<16 {
                if index == 8 || index == 13 || index == 18 || index == 23 {
                    guard text[index] == UInt8(ascii: "-") else { return false }
                    index += 1
                }
                guard let high = hexValue(text[index]), let low = hexValue(text[index + 1]) else { return false }
                bytes[byte] = high << 4 | low
                index += 2
            }
            return true
        }
        return valid ? value : nil
    }

    @inline(__always)
    private static func hexValue(_ digit: UInt8) -> UInt8? {
        let decimal = digit &- UInt8(ascii: "0")
        if decimal < 10 { return decimal }
        // Setting bit 5 maps A–F onto a–f and leaves no other byte in a–f.
        let letter = (digit | 0x20) &- UInt8(ascii: "a")
        return letter < 6 ? letter + 10 : nil
    }

    /// A version 4 (random) UUID made of two 64-bit words, most significant first; the version and variant
    /// bits are set here, the other 122 bits are the caller's.
    public init(version4 high: UInt64, _ low: UInt64) {
        let high = high & ~0xF000 | 0x4000
        let low = low & ~(0b11 << 62) | (0b10 << 62)
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &value) { bytes in
            bytes.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
            bytes.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        self.init(uuid: value)
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
    public static func textOrder(_ a: UUID, _ b: UUID) -> Bool {
        a.textOrderKey < b.textOrderKey
    }

    /// Two words that compare as the canonical texts do, for keeping in a sort key.
    public var textOrderKey: (UInt64, UInt64) {
        withUnsafeBytes(of: uuid) { bytes in
            (bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self).bigEndian,
             bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self).bigEndian)
        }
    }
}
