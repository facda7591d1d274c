import Discovery
import HTTPClient
import Logging

/// Sends one request to an instance of a service, and a read once more to another instance when the first
/// could not be connected to (nothing was sent, so the retry cannot duplicate anything).
public struct UpstreamForwarder: Sendable {
    let client: HTTPClient
    let discovery: any ServiceDiscovery
    let balancer: RoundRobin

    public init(client: HTTPClient, discovery: any ServiceDiscovery, balancer: RoundRobin = RoundRobin()) {
        self.client = client
        self.discovery = discovery
        self.balancer = balancer
    }

    public struct Outcome: Sendable {
        public var response: HTTPClient.Response
        public var instance: ServiceInstance
        public var attempts: Int
    }

    /// - Parameter target: path and query, as the client sent them.
    public func forward(
        service: String, method: String, target: String, headers: [HTTPClient.Header], body: [UInt8]
    ) async throws(UpstreamFailure) -> Outcome {
        let idempotent = method == "GET" || method == "HEAD"
        let maximumAttempts = idempotent ? 2 : 1
        var tried = Set<String>()
        var lastError: HTTPClientError?
        while tried.count < maximumAttempts {
            guard let instance = balancer.pick(from: discovery.instances(of: service), of: service, excluding: tried) else { break }
            tried.insert(instance.id)
            do {
                let response = try await client.execute(.init(method: method, url: instance.baseURL + target, headers: headers, body: body))
                return Outcome(response: response, instance: instance, attempts: tried.count)
            } catch {
                lastError = error
                guard error.code == .connectFailed || error.code == .connectTimeout else { break }
            }
        }
        guard let lastError else { throw .noInstance(service: service) }
        throw .transport(service: service, lastError)
    }
}
