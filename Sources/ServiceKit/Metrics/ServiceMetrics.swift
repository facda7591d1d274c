import Prometheus
import Synchronization

/// The metrics a service exposes on `/metrics`, all in one Prometheus registry. The executable also
/// bootstraps swift-metrics with this registry, so what other modules record through swift-metrics
/// (the Kafka layer) appears on the same page.
public final class ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// Request latency buckets: sub-millisecond resolution where a healthy service answers.
    static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    private struct RequestSeries: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    /// The counter and histogram of each route, method and status seen: the registry would find the same
    /// ones again, but only after building their names and label lists on every request.
    private let requestSeries = Mutex<[RequestSeries: (Counter, DurationHistogram)]>([:])

    public func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        let series = RequestSeries(route: route, method: method, status: status)
        let (counter, histogram) = requestSeries.withLock { known in
            if let found = known[series] { return found }
            let made = (
                registry.makeCounter(
                    descriptor: .init(namespace: "bookshelf", metricName: "http_requests", unitName: "total", helpText: "HTTP requests by route, method and status."),
                    labels: [("route", route), ("method", method), ("status", String(status))]
                ),
                registry.makeDurationHistogram(
                    descriptor: .init(namespace: "bookshelf", metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP request latency by route and method."),
                    labels: [("route", route), ("method", method)],
                    buckets: Self.latencyBuckets
                )
            )
            known[series] = made
            return made
        }
        counter.increment()
        histogram.record(duration)
    }

    public func eventProduced(type: String) {
        registry.makeCounter(
            descriptor: .init(namespace: "bookshelf", metricName: "events_produced", unitName: "total", helpText: "Events acknowledged by the broker, by type."),
            labels: [("type", type)]
        ).increment()
    }

    public func eventConsumed(type: String) {
        registry.makeCounter(
            descriptor: .init(namespace: "bookshelf", metricName: "events_consumed", unitName: "total", helpText: "Events applied, by type."),
            labels: [("type", type)]
        ).increment()
    }

    public func eventDeadLettered(reason: String) {
        registry.makeCounter(
            descriptor: .init(namespace: "bookshelf", metricName: "events_dead_lettered", unitName: "total", helpText: "Records sent to the dead-letter topic, by reason code."),
            labels: [("reason", reason)]
        ).increment()
    }

    /// How far behind the events the consumer applies are: now minus the `time` of the last applied event
    /// (sampled), so it is near zero when the view keeps up and grows while it replays or falls behind.
    public func consumerLag(seconds: Double) {
        registry.makeGauge(
            descriptor: .init(namespace: "bookshelf", metricName: "consumer_lag", unitName: "seconds", helpText: "Age of the last applied event when it was applied.")
        ).set(max(0, seconds))
    }

    /// The text exposition format, version 0.0.4.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
