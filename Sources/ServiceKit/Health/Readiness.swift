import Synchronization

/// The conditions a service must meet before `/health/ready` says yes, registered by the service
/// (e.g. "broker" reachable, "replay" caught up). Unready until every registered condition is met.
public final class Readiness: Sendable {
    public struct Condition: Sendable, Equatable {
        public var name: String
        public var isMet: Bool
        public var detail: String
    }

    private let conditions = Mutex<[Condition]>([])

    public init() {}

    /// Adds a condition, unmet, with what it is waiting for.
    public func register(_ name: String, waitingFor detail: String) {
        conditions.withLock { conditions in
            guard !conditions.contains(where: { $0.name == name }) else { return }
            conditions.append(Condition(name: name, isMet: false, detail: detail))
        }
    }

    public func set(_ name: String, met: Bool, detail: String) {
        conditions.withLock { conditions in
            if let index = conditions.firstIndex(where: { $0.name == name }) {
                conditions[index].isMet = met
                conditions[index].detail = detail
            } else {
                conditions.append(Condition(name: name, isMet: met, detail: detail))
            }
        }
    }

    public var snapshot: [Condition] { conditions.withLock { $0 } }

    public var isReady: Bool { conditions.withLock { $0.allSatisfy(\.isMet) } }

    /// Resolves once every condition is met (polled: readiness changes a handful of times per run).
    public func waitUntilReady() async throws {
        while !isReady {
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
