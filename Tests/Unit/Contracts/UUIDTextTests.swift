import Contracts
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
