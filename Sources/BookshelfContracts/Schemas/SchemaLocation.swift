import BookshelfJSON

/// A schema inside a loaded document: the node itself, the `$id` of its document (the base for
/// `$ref`) and its JSON pointer there.
struct SchemaLocation: Sendable {
    let schema: JSONValue
    let document: String
    let pointer: String

    /// Where this schema is, as a URI: a stable key for cycle detection and messages.
    var uri: String { document + "#" + pointer }

    func child(_ tokens: String...) -> SchemaLocation? {
        var node = schema
        var pointer = self.pointer
        for token in tokens {
            if let index = Int(token), node.isArray {
                guard let next = node[index] else { return nil }
                node = next
            } else {
                guard let next = node[token] else { return nil }
                node = next
            }
            pointer = JSONPointer.appending(token, to: pointer)
        }
        return SchemaLocation(schema: node, document: document, pointer: pointer)
    }
}

/// Documents by `$id`, for resolving `$ref` without a network.
struct SchemaDocuments: Sendable {
    var byID: [String: JSONValue] = [:]

    /// The schema `reference` names from `location`'s document, or nil when it names nothing
    /// (an unknown document, a missing location, or an `$anchor` fragment, which no contract uses).
    func resolve(_ reference: String, from location: SchemaLocation) -> SchemaLocation? {
        let (document, fragment) = SchemaReference.resolve(reference, against: location.document)
        guard let root = byID[document], fragment.isEmpty || fragment.hasPrefix("/"),
              let target = JSONPointer.resolve(fragment, in: root) else { return nil }
        return SchemaLocation(schema: target, document: document, pointer: fragment)
    }
}
