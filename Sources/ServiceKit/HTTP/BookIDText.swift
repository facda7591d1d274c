import Contracts
import FoundationEssentials

extension UUID {
    /// A book id as a request names it (a path segment, `after`), in the only form the contracts accept
    /// (`rest/book/book.schema.json#/$defs/id`): canonical and lower case. The gateway checks the same
    /// schema, so a service called directly refuses what the gateway refuses, upper-case ids included.
    public init?(bookID text: some StringProtocol) {
        guard let id = UUID(text: text), id.lowercaseText.utf8.elementsEqual(text.utf8) else { return nil }
        self = id
    }
}
