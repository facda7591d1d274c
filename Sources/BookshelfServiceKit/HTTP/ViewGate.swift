import Hummingbird

/// What every view read passes first: no answers from a half-replayed view (503 until caught up: a partial
/// list looks like data loss), then the caller's minimum position (`ReadYourWrites`).
public enum ViewGate {
    public static func open<P>(_ request: Request, _ view: ProjectionHost<P>) async throws {
        guard view.isCaughtUp else {
            throw Problem.unavailable(code: "not-ready", "This view is still replaying the events topic.")
        }
        try await ReadYourWrites.awaitMinimumPosition(of: request, in: view)
    }
}
