import BookshelfJSON
import FoundationEssentials

/// RFC 6901 JSON pointers: building them token by token, and following them into a document.
enum JSONPointer {
    static func appending(_ token: String, to pointer: String) -> String {
        pointer + "/" + token.replacing("~", with: "~0").replacing("/", with: "~1")
    }

    static func appending(_ index: Int, to pointer: String) -> String {
        pointer + "/" + String(index)
    }

    /// The value `pointer` names in `document`, or nil when it names nothing.
    static func resolve(_ pointer: String, in document: JSONValue) -> JSONValue? {
        guard !pointer.isEmpty else { return document }
        guard pointer.hasPrefix("/") else { return nil }
        var current = document
        for raw in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let token = String(raw).replacing("~1", with: "/").replacing("~0", with: "~")
            if current.isObject {
                guard let next = current[token] else { return nil }
                current = next
            } else if current.isArray, let index = Int(token), String(index) == token {
                guard let next = current[index] else { return nil }
                current = next
            } else {
                return nil
            }
        }
        return current
    }
}
