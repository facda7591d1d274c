import Synchronization

/// One reachable instance of a service.
public struct ServiceInstance: Sendable, Hashable, CustomStringConvertible {
    /// Unique among the instances of one service (Consul's service ID, or the URL for static entries).
    public var id: String
    /// Where requests go, without a trailing slash: `http://127.0.0.1:8084`.
    public var baseURL: String

    public init(id: String, baseURL: String) {
        self.id = id
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    }

    public var description: String { "\(id) at \(baseURL)" }
}

/// What the gateway asks of discovery: the instances it may send a service's requests to now.
public protocol ServiceDiscovery: Sendable {
    /// The healthy instances of `service` as last known; empty when none is known.
    func instances(of service: String) -> [ServiceInstance]
}

/// Spreads requests over a service's instances in turn, skipping instances already tried for one request.
package final class RoundRobin: Sendable {
    private let counters = Mutex<[String: Int]>([:])

    package init() {}

    package func pick(from instances: [ServiceInstance], of service: String, excluding tried: Set<String> = []) -> ServiceInstance? {
        // A first attempt excludes nothing: the list is taken as it is, without a filtered copy per request.
        let candidates = tried.isEmpty ? instances : instances.filter { !tried.contains($0.id) }
        guard !candidates.isEmpty else { return nil }
        let turn = counters.withLock { counters -> Int in
            let turn = counters[service, default: 0]
            counters[service] = turn &+ 1
            return turn
        }
        return candidates[Int(UInt(bitPattern: turn) % UInt(candidates.count))]
    }
}
