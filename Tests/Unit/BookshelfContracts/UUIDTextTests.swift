import BookshelfContracts
import Foundation
import Testing

@Suite struct UUIDTextTests {
    @Test func writesWhatFoundationWritesInLowerCase() {
        for _ in 0..<1_000 {
            let id = UUID()
            #expect(id.lowercaseText == id.uuidString.lowercased())
        }
    }

    @Test func readsBothCasesAndAgreesWithFoundation() {
        for _ in 0..<1_000 {
            let id = UUID()
            #expect(UUID(text: id.uuidString) == id)
            #expect(UUID(text: id.uuidString.lowercased()) == id)
        }
        #expect(UUID(text: "6F1C2A9E-3b7d-4C58-9e21-0A4F5D7B8C31") == UUID(uuidString: "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31"))
    }

    @Test(arguments: [
        "", "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c3", "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c311",
        "6f1c2a9e3b7d-4c58-9e21-0a4f5d7b8c31a", "6f1c2a9e-3b7d-4c58-9e210-a4f5d7b8c31",
        "6f1c2a9g-3b7d-4c58-9e21-0a4f5d7b8c31", "{6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c3}",
        "6f1c2a9e_3b7d_4c58_9e21_0a4f5d7b8c31", "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c3é",
    ])
    func refusesAnythingButTheCanonicalForm(_ text: String) {
        #expect(UUID(text: text) == nil)
        #expect(UUID(uuidString: text) == nil)
    }

    /// Every byte value in every place of a canonical id: the bytes parser reads the digits without an early
    /// exit, so each wrong byte must still be refused, and each right one read as Foundation reads it.
    /// (Foundation itself is laxer: its `sscanf` lets a space or a sign start a pair of digits.)
    @Test func readsBytesAsTheCanonicalFormAllowsForEveryByteInEveryPlace() {
        let id = UUID()
        let canonical = Array(id.uuidString.lowercased().utf8)
        let hexDigits = Set("0123456789abcdefABCDEF".utf8)
        for place in canonical.indices {
            for byte in UInt8.min...UInt8.max {
                var text = canonical
                text[place] = byte
                let allowed = [8, 13, 18, 23].contains(place) ? byte == UInt8(ascii: "-") : hexDigits.contains(byte)
                let parsed = text.withUnsafeBufferPointer { UUID(utf8: $0) }
                #expect(parsed == (allowed ? UUID(uuidString: String(decoding: text, as: UTF8.self)) : nil), "byte \(byte) at \(place)")
            }
        }
        #expect(canonical.withUnsafeBufferPointer { UUID(utf8: $0) } == id)
        #expect(Array(id.uuidString.utf8).withUnsafeBufferPointer { UUID(utf8: $0) } == id)
    }

    @Test func ordersAsTheTextsDo() {
        var ids = (0..<500).map { _ in UUID() }
        // Ids that differ only where a digit meets a letter, and only in the last byte.
        ids += ["00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-000000000009",
                "a0000000-0000-0000-0000-000000000000", "90000000-0000-0000-0000-000000000000"].map { UUID(uuidString: $0)! }
        for (a, b) in zip(ids, ids.shuffled()) {
            #expect(UUID.textOrder(a, b) == (a.lowercaseText < b.lowercaseText))
            #expect(!UUID.textOrder(a, a))
        }
        #expect(ids.sorted(by: UUID.textOrder).map(\.lowercaseText) == ids.map(\.lowercaseText).sorted())
    }
}
