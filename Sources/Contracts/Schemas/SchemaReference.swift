/// `$ref` resolution by URI, offline: a reference is resolved against its document's `$id` and
/// looked up among loaded documents, never fetched.
enum SchemaReference {
    /// The absolute URI (without fragment) and the fragment that `reference` names from `base`.
    static func resolve(_ reference: String, against base: String) -> (document: String, fragment: String) {
        let (uriPart, fragment) = split(reference)
        let baseDocument = split(base).uri
        guard !uriPart.isEmpty else { return (baseDocument, fragment) }
        if hasScheme(uriPart) { return (uriPart, fragment) }
        guard let schemeEnd = baseDocument.range(of: "://") else { return (uriPart, fragment) }
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
        return (origin + removingDotSegments(path), fragment)
    }

    static func split(_ uri: String) -> (uri: String, fragment: String) {
        guard let hash = uri.firstIndex(of: "#") else { return (uri, "") }
        return (String(uri[..<hash]), String(uri[uri.index(after: hash)...]).percentDecoded)
    }

    static func hasScheme(_ uri: String) -> Bool {
        guard let colon = uri.firstIndex(of: ":"), let first = uri.first, first.isLetter else { return false }
        return uri[..<colon].allSatisfy { $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }
    }

    /// RFC 3986 section 5.2.4.
    static func removingDotSegments(_ path: String) -> String {
        var output: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for (index, segment) in segments.enumerated() {
            switch segment {
            case ".":
                if index == segments.count - 1 { output.append("") }
            case "..":
                if output.count > 1 { output.removeLast() }
                if index == segments.count - 1 { output.append("") }
            default:
                output.append(segment)
            }
        }
        return output.joined(separator: "/")
    }
}

extension String {
    /// Decodes `%XX` escapes (JSON pointers in URI fragments may use them); malformed escapes stay.
    var percentDecoded: String {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var utf8 = Array(self.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
