import Synchronization

/// The conditions a service must meet before `/health/ready` says yes, registered by the service
/// (e.g. "broker" reachable, "replay" caught up). Unready until every registered condition is met.
public final class Readiness: Sendable {
    package struct Condition: Sendable, Equatable {
        package var name: String
        package var isMet: Bool
        package var detail: String
    }

    private let conditions = Mutex<[Condition]>([])
    private let notices = Mutex<[(name: String, current: @Sendable () -> [String])]>([])

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

    package var snapshot: [Condition] { conditions.withLock { $0 } }

    /// Adds something `/health/ready` reports under `name` without waiting for it: the service can serve,
    /// but whoever reads the body should know (e.g. the gateway's routes that no instance answers now).
    /// `current` is asked on every request; an empty list is left out of the body.
    package func addNotice(_ name: String, _ current: @escaping @Sendable () -> [String]) {
        notices.withLock { $0.append((name, current)) }
    }

    /// The notices that have something to say now, in the order they were added.
    package var noticesNow: [(name: String, items: [String])] {
        let providers = notices.withLock { $0 }
        return providers.compactMap { notice in
            let items = notice.current()
            return items.isEmpty ? nil : (notice.name, items)
        }
    }

    public var isReady: Bool { conditions.withLock { $0.allSatisfy(\.isMet) } }

    /// Resolves once every condition is met (polled: readiness changes a handful of times per run).
    public func waitUntilReady() async throws {
        while !isReady {
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
