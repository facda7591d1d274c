import Prometheus
import Synchronization

/// The metrics a service exposes on `/metrics`, all in one Prometheus registry. The executable also
/// bootstraps swift-metrics with this registry, so what other modules record through swift-metrics
/// (the Kafka layer) appears on the same page.
public final class ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// The app's Prometheus namespace, the first part of every name here: `bookshelf` gives
    /// `bookshelf_http_requests_total`.
    public let namespace: String

    /// Request latency buckets: sub-millisecond resolution where a healthy service answers.
    static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
    ]

    /// The metrics already made, by their labels: the registry validates names and builds label sets on
    /// every `make…` call, which is more work than the request or event being counted.
    private struct Made {
        var requests: [RequestLabels: (count: Counter, duration: DurationHistogram)] = [:]
        var produced: [String: Counter] = [:]
        var consumed: [String: Counter] = [:]
    }

    private struct RequestLabels: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    private let made = Mutex(Made())

    public init(namespace: String, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.namespace = namespace
        self.registry = registry
    }

    package func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        let labels = RequestLabels(route: route, method: method, status: status)
        let metrics = made.withLock { made in
            if let metrics = made.requests[labels] { return metrics }
            let metrics = (
                count: registry.makeCounter(
                    descriptor: .init(namespace: namespace, metricName: "http_requests", unitName: "total", helpText: "HTTP requests by route, method and status."),
                    labels: [("route", route), ("method", method), ("status", String(status))]),
                duration: registry.makeDurationHistogram(
                    descriptor: .init(namespace: namespace, metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP request latency by route and method."),
                    labels: [("route", route), ("method", method)],
                    buckets: Self.latencyBuckets))
            made.requests[labels] = metrics
            return metrics
        }
        metrics.count.increment()
        metrics.duration.record(duration)
    }

    package func eventProduced(type: String) {
        counter(type, in: \.produced) {
            registry.makeCounter(
                descriptor: .init(namespace: namespace, metricName: "events_produced", unitName: "total", helpText: "Events acknowledged by the broker, by type."),
                labels: [("type", type)])
        }.increment()
    }

    package func eventsConsumed(type: String, count: Int) {
        counter(type, in: \.consumed) {
            registry.makeCounter(
                descriptor: .init(namespace: namespace, metricName: "events_consumed", unitName: "total", helpText: "Events applied, by type."),
                labels: [("type", type)])
        }.increment(by: Int64(count))
    }

    private func counter(_ type: String, in kind: WritableKeyPath<Made, [String: Counter]>, make: () -> Counter) -> Counter {
        made.withLock { made in
            if let counter = made[keyPath: kind][type] { return counter }
            let counter = make()
            made[keyPath: kind][type] = counter
            return counter
        }
    }

    package func eventDeadLettered(reason: String) {
        registry.makeCounter(
            descriptor: .init(namespace: namespace, metricName: "events_dead_lettered", unitName: "total", helpText: "Records sent to the dead-letter topic, by reason code."),
            labels: [("reason", reason)]
        ).increment()
    }

    /// How far behind the events the consumer applies are: now minus the `time` of the last applied event
    /// (sampled), so it is near zero when the view keeps up and grows while it replays or falls behind.
    package func consumerLag(seconds: Double) {
        registry.makeGauge(
            descriptor: .init(namespace: namespace, metricName: "consumer_lag", unitName: "seconds", helpText: "Age of the last applied event when it was applied.")
        ).set(max(0, seconds))
    }

    /// The text exposition format, version 0.0.4.
    package func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
