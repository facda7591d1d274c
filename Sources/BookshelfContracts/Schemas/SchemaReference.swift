import BookshelfJSONSchema

/// `$ref` resolution by URI, offline: a reference is resolved against its document's `$id` and
/// looked up among loaded documents, never fetched.
enum SchemaReference {
    /// The absolute URI (without fragment) and the fragment that `reference` names from `base`.
    static func resolve(_ reference: String, against base: String) -> (document: String, fragment: String) {
        let (uriPart, fragment) = split(reference)
        let baseDocument = split(base).uri
        guard !uriPart.isEmpty else { return (baseDocument, fragment) }
        if hasScheme(uriPart) { return (uriPart, fragment) }
        guard let schemeEnd = baseDocument.firstRange(of: "://") else { return (uriPart, fragment) }
        let authorityEnd = baseDocument[schemeEnd.upperBound...].firstIndex(of: "/") ?? baseDocument.endIndex
        let origin = String(baseDocument[..<authorityEnd])
        let basePath = String(baseDocument[authorityEnd...])
        let path: String
        if uriPart.hasPrefix("/") {
            path = uriPart
        } else {
            let directory = basePath.lastIndex(of: "/").map { String(basePath[...$0]) } ?? "/"
            path = directory + uriPart
        }
        return (origin + URIReference.removeDotSegments(path), fragment)
    }

    static func split(_ uri: String) -> (uri: String, fragment: String) {
        guard let hash = uri.firstIndex(of: "#") else { return (uri, "") }
        return (String(uri[..<hash]), URIReference.percentDecoded(String(uri[uri.index(after: hash)...])))
    }

    static func hasScheme(_ uri: String) -> Bool {
        URIReference(uri).scheme != nil
    }
}
