import Logging

/// Waiting for a dependency without a start-up delay flag: try at once, then again after growing pauses
/// (50 ms doubling to 2 s, with jitter so restarted fleets do not retry in lockstep) until it works or
/// the task is cancelled.
public struct Backoff: Sendable {
    public var initial: Duration
    public var maximum: Duration

    public init(initial: Duration = .milliseconds(50), maximum: Duration = .seconds(2)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The pause before attempt `attempt` (1-based; attempt 0 does not wait).
    public func delay(beforeAttempt attempt: Int) -> Duration {
        guard attempt > 0 else { return .zero }
        var delay = initial
        for _ in 1..<attempt where delay < maximum { delay *= 2 }
        delay = min(delay, maximum)
        return delay * Double.random(in: 0.8...1.0)
    }

    public func retry<T: Sendable>(
        _ dependency: String, logger: Logger, _ operation: @Sendable () async throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            try await Task.sleep(for: delay(beforeAttempt: attempt))
            do {
                return try await operation()
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                attempt += 1
                let level: Logger.Level = attempt == 1 || attempt % 10 == 0 ? .warning : .debug
                logger.log(level: level, "waiting for \(dependency)", metadata: [
                    "attempt": .stringConvertible(attempt), "error": .string(String(describing: error)),
                ])
            }
        }
    }
}
