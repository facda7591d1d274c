import BookshelfHTTPClient
import HTTPTypes

extension String {
    /// ASCII case-insensitive, as HTTP compares header names, without building lower-cased copies.
    fileprivate func caseInsensitiveEquals(_ other: String) -> Bool {
        utf8.count == other.utf8.count && utf8.elementsEqual(other.utf8) { $0.asciiLowercased == $1.asciiLowercased }
    }
}

extension UInt8 {
    fileprivate var asciiLowercased: UInt8 {
        self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z") ? self | 0x20 : self
    }
}

/// Which headers cross the gateway. End-to-end headers pass both ways (so `Idempotency-Key`, `traceparent`,
/// `X-Bookshelf-*` reach the service, `Location` and `Retry-After` reach the client); hop-by-hop headers
/// (RFC 9110 §7.6.1) describe one connection and stop here.
package enum HeaderPolicy {
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
        "te", "trailer", "transfer-encoding", "upgrade",
    ]

    /// Set by libcurl or the server for the new hop, or owned by the gateway.
    static let requestOwnedByGateway: Set<String> = ["host", "content-length", "expect", "authorization", "x-request-id"]
    static let responseOwnedByGateway: Set<String> = ["content-length", "date", "server", "x-request-id"]

    static let droppedFromRequests = hopByHop.union(requestOwnedByGateway)
    static let droppedFromResponses = hopByHop.union(responseOwnedByGateway)

    /// The client's headers as they go upstream, with this request's id. Names keep the client's spelling.
    package static func upstreamRequestHeaders(_ fields: HTTPFields, requestID: String) -> [HTTPClient.Header] {
        // Headers a sender listed in `Connection` are hop-by-hop too; HTTPFields keeps names lower-case in canonicalName.
        let listed = fields[values: .connection].flatMap(connectionOptions)
        var headers: [HTTPClient.Header] = []
        headers.reserveCapacity(fields.count + 1)
        for field in fields {
            let name = field.name.canonicalName
            guard !droppedFromRequests.contains(name), !listed.contains(name) else { continue }
            headers.append(HTTPClient.Header(field.name.rawName, field.value))
        }
        headers.append(HTTPClient.Header("X-Request-Id", requestID))
        return headers
    }

    /// The upstream's headers as they go to the client; a name HTTP does not allow is dropped.
    package static func clientResponseHeaders(_ headers: [HTTPClient.Header]) -> HTTPFields {
        // A Connection header may come after the ones it lists, so it is looked for first.
        var listed: [String] = []
        for header in headers where header.name.caseInsensitiveEquals("connection") {
            listed += connectionOptions(header.value)
        }
        var fields = HTTPFields()
        fields.reserveCapacity(headers.count)
        for header in headers {
            // Dropped names are compared in place: most of an upstream's headers are dropped ones, and lower-casing each costs an allocation.
            guard !droppedFromResponsesList.contains(where: header.name.caseInsensitiveEquals),
                let name = HTTPField.Name(header.name), listed.isEmpty || !listed.contains(name.canonicalName)
            else { continue }
            fields.append(HTTPField(name: name, value: header.value))
        }
        return fields
    }

    private static let droppedFromResponsesList = Array(droppedFromResponses)

    /// The lower-case names a `Connection` value lists.
    private static func connectionOptions(_ value: String) -> [String] {
        value.utf8.split(separator: UInt8(ascii: ",")).compactMap { option in
            let trimmed = option.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
            return trimmed.isEmpty ? nil : String(decoding: trimmed, as: UTF8.self).lowercased()
        }
    }
}
