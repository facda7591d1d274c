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

    public static func upstreamRequestHeaders(_ fields: [(name: String, value: String)], requestID: String) -> [HTTPClient.Header] {
        let dropped = hopByHop.union(requestOwnedByGateway).union(connectionOptions(fields))
        var headers = fields.filter { !dropped.contains($0.name.lowercased()) }.map { HTTPClient.Header($0.name, $0.value) }
        headers.append(HTTPClient.Header("X-Request-Id", requestID))
        return headers
    }

    public static func clientResponseHeaders(_ headers: [HTTPClient.Header]) -> [(name: String, value: String)] {
        let fields = headers.map { (name: $0.name, value: $0.value) }
        let dropped = hopByHop.union(responseOwnedByGateway).union(connectionOptions(fields))
        return fields.filter { !dropped.contains($0.name.lowercased()) }
    }

    /// Headers a sender listed in `Connection` are hop-by-hop too.
    private static func connectionOptions(_ fields: [(name: String, value: String)]) -> Set<String> {
        var names = Set<String>()
        for field in fields where field.name.lowercased() == "connection" {
            for option in field.value.split(separator: ",") {
                names.insert(option.trimmingCharacters(in: .whitespaces).lowercased())
            }
        }
        return names
    }
}
