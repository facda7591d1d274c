import Foundation
import HTTPClient

/// Which headers cross the gateway. End-to-end headers pass both ways (so `Idempotency-Key`, `traceparent`,
/// `X-Bookshelf-*` reach the service, `Location` and `Retry-After` reach the client); hop-by-hop headers
/// (RFC 9110 §7.6.1) describe one connection and stop here.
public enum HeaderPolicy {
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
        "te", "trailer", "transfer-encoding", "upgrade",
    ]

    /// Set by libcurl or the server for the new hop, or owned by the gateway.
    static let requestOwnedByGateway: Set<String> = ["host", "content-length", "expect", "authorization", "x-request-id"]
    static let responseOwnedByGateway: Set<String> = ["content-length", "date", "server", "x-request-id"]

    static let droppedFromRequests = hopByHop.union(requestOwnedByGateway)
    static let droppedFromResponses = hopByHop.union(responseOwnedByGateway)

    public static func upstreamRequestHeaders(_ fields: [(name: String, value: String)], requestID: String) -> [HTTPClient.Header] {
        var headers = filter(fields, dropping: droppedFromRequests).map { HTTPClient.Header($0.name, $0.value) }
        headers.append(HTTPClient.Header("X-Request-Id", requestID))
        return headers
    }

    public static func clientResponseHeaders(_ headers: [HTTPClient.Header]) -> [(name: String, value: String)] {
        filter(headers.map { (name: $0.name, value: $0.value) }, dropping: droppedFromResponses)
    }

    private static func filter(_ fields: [(name: String, value: String)], dropping dropped: Set<String>) -> [(name: String, value: String)] {
        let lowered = fields.map { $0.name.lowercased() }
        // Headers a sender listed in `Connection` are hop-by-hop too.
        var listed = Set<String>()
        for (index, name) in lowered.enumerated() where name == "connection" {
            for option in fields[index].value.split(separator: ",") {
                listed.insert(option.trimmingCharacters(in: .whitespaces).lowercased())
            }
        }
        var kept: [(name: String, value: String)] = []
        kept.reserveCapacity(fields.count)
        for (index, name) in lowered.enumerated() where !dropped.contains(name) && !listed.contains(name) {
            kept.append(fields[index])
        }
        return kept
    }
}
