import BookshelfDiscovery
import BookshelfHTTPClient
import Logging

/// Sends one request to an instance of a service, and a read once more to another instance when the first
/// could not be connected to (nothing was sent, so the retry cannot duplicate anything).
package struct UpstreamForwarder: Sendable {
    let client: HTTPClient
    let discovery: any ServiceDiscovery
    let balancer: RoundRobin

    package init(client: HTTPClient, discovery: any ServiceDiscovery, balancer: RoundRobin = RoundRobin()) {
        self.client = client
        self.discovery = discovery
        self.balancer = balancer
    }

    struct Outcome: Sendable {
        package var response: HTTPClient.Response
        package var instance: ServiceInstance
        var attempts: Int
    }

    /// - Parameter target: path and query, as the client sent them.
    /// - Parameter completion: runs once, on the HTTP client's thread (or the caller's, when no instance is known).
    func forward(
        service: String, method: String, target: String, headers: [HTTPClient.Header], body: [UInt8],
        completion: @escaping @Sendable (Result<Outcome, UpstreamFailure>) -> Void
    ) {
        let idempotent = method == "GET" || method == "HEAD"
        attempt(
            Attempt(service: service, method: method, target: target, headers: headers, body: body, maximumAttempts: idempotent ? 2 : 1),
            tried: [], completion: completion
        )
    }

    private struct Attempt: Sendable {
        var service: String
        var method: String
        var target: String
        var headers: [HTTPClient.Header]
        var body: [UInt8]
        var maximumAttempts: Int
    }

    private func attempt(
        _ request: Attempt, tried: Set<String>, lastError: HTTPClientError? = nil,
        completion: @escaping @Sendable (Result<Outcome, UpstreamFailure>) -> Void
    ) {
        guard tried.count < request.maximumAttempts,
            let instance = balancer.pick(from: discovery.instances(of: request.service), of: request.service, excluding: tried)
        else {
            return completion(.failure(lastError.map { .transport(service: request.service, $0) } ?? .noInstance(service: request.service)))
        }
        var tried = tried
        tried.insert(instance.id)
        client.execute(.init(method: request.method, url: instance.baseURL + request.target, headers: request.headers, body: request.body)) {
            [self, tried] result in
            switch result {
            case .success(let response):
                completion(.success(Outcome(response: response, instance: instance, attempts: tried.count)))
            case .failure(let error) where error.code == .connectFailed || error.code == .connectTimeout:
                // Nothing was sent, so another instance may have it; this runs on the client's thread, which only queues it.
                attempt(request, tried: tried, lastError: error, completion: completion)
            case .failure(let error):
                completion(.failure(.transport(service: request.service, error)))
            }
        }
    }
}
