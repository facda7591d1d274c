import Hummingbird
import Logging

/// Counts every request by route template (never the raw path, whose ids would explode the label set),
/// method and final status, and records its latency.
package struct RequestMetricsMiddleware: RouterMiddleware {
    package typealias Context = ServiceRequestContext
    let metrics: ServiceMetrics

    package init(metrics: ServiceMetrics) {
        self.metrics = metrics
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let route = context.endpointPath ?? "unmatched"
        metrics.recordRequest(route: route, method: request.method.rawValue, status: response.status.code, duration: elapsed)
        context.logger.debug("request", metadata: [
            "method": .string(request.method.rawValue), "path": .string(request.uri.path),
            "status": .stringConvertible(response.status.code), "seconds": .stringConvertible(elapsed),
        ])
        return response
    }
}
