import BookshelfContracts
import BookshelfServiceKit
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceLifecycle

extension InMemoryEventLog {
    /// A projection host that replays this log and dead-letters into it: what `ServiceProcess.projection`
    /// makes over Kafka, for a test without a broker.
    public func projection<P: Projection>(
        _ type: P.Type, contracts: ContractRegistry, positionHeaders: PositionHeaders, readiness: Readiness,
        metrics: ServiceMetrics = ServiceMetrics(namespace: "test"), consumer: String = "\(P.self)", logger: Logger = testLogger(label: "projection")
    ) -> ProjectionHost<P> {
        ProjectionHost<P>(
            consumer: consumer, source: makeSource(), deadLetters: self, contracts: contracts, readiness: readiness, metrics: metrics,
            positionHeaders: positionHeaders, logger: logger
        )
    }

    /// Runs `body` with a test client of `routes` while `hosts` replay and follow this log, once the routes'
    /// `/health/ready` answers 200 (so every host has caught up). Afterwards the log is closed, which ends
    /// the hosts: use a log for one `test`.
    ///
    /// ```swift
    /// let log = InMemoryEventLog()
    /// let readiness = Readiness()
    /// let routes = ServiceRoutes(metrics: ServiceMetrics(namespace: "test"), readiness: readiness)
    /// let reviews = log.projection(ReviewsByBook.self, contracts: contracts, positionHeaders: headers, readiness: readiness)
    /// ReviewsService(reviews: reviews, publisher: log, contracts: contracts).addRoutes(to: routes)
    /// try await log.test(routes, running: [reviews]) { client in
    ///     let response = try await client.execute(uri: "/reviews", method: .post, headers: …, body: …)
    /// }
    /// ```
    public func test<Value: Sendable>(
        _ routes: ServiceRoutes, running hosts: [any Service], readyWithin timeout: Duration = .seconds(10),
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        let running = Task {
            await withDiscardingTaskGroup { group in
                for host in hosts { group.addTask { try? await host.run() } }
            }
        }
        let outcome: Result<Value, any Error>
        do {
            outcome = .success(try await Application(router: routes).test(.router) { client in
                try await Self.waitUntilReady(client, within: timeout)
                return try await body(client)
            })
        } catch {
            outcome = .failure(error)
        }
        // Closing ends each host's replay loop; cancelling ends its wait for a graceful shutdown.
        close()
        running.cancel()
        await running.value
        return try outcome.get()
    }

    private static func waitUntilReady(_ client: any TestClientProtocol, within timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let response = try await client.execute(uri: "/health/ready", method: .get, headers: [:], body: nil)
            if response.status == .ok { return }
            guard ContinuousClock.now < deadline else {
                throw NotReady(timeout: timeout, answer: String(buffer: response.body))
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}

/// The routes' `/health/ready` did not answer 200 in time; `answer` is its last problem.
public struct NotReady: Error, CustomStringConvertible {
    public let timeout: Duration
    public let answer: String
    public var description: String { "/health/ready did not answer 200 within \(timeout); it said: \(answer)" }
}
