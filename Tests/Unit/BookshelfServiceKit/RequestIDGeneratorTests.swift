import Foundation
import Testing

@testable import BookshelfServiceKit

@Suite struct RequestIDGeneratorTests {
    @Test func idsAreDistinctVersion4UUIDs() {
        let ids = (0..<10_000).map { _ in RequestIDGenerator.next() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            #expect(id == id.lowercased())
            let uuid = UUID(uuidString: id)
            #expect(uuid != nil, "\(id) is not a UUID")
            // Version nibble 4, variant bits 10.
            #expect(Array(id.utf8)[14] == UInt8(ascii: "4"))
            #expect("89ab".utf8.contains(Array(id.utf8)[19]))
        }
    }
}
