import BookshelfContracts
import FoundationEssentials

extension UUID {
    /// A book id as a request names it (a path segment, `after`), in the only form the contracts accept
    /// (`rest/book/book.schema.json#/$defs/id`): canonical and lower case. The gateway checks the same
    /// schema, so a service called directly refuses what the gateway refuses, upper-case ids included.
    package init?(bookID text: some StringProtocol) {
        // `UUID(text:)` already insists on the canonical form in either case; only upper-case hex is left to refuse.
        guard !text.utf8.contains(where: { (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0) }), let id = UUID(text: text) else { return nil }
        self = id
    }
}
