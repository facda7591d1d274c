import HTTPTypes
import Hummingbird

extension HTTPField.Name {
    public static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    /// On an answer to a retried write: the answer is the first attempt's, nothing new was written.
    public static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
    public static let link = HTTPField.Name("Link")!
}

/// The two headers of read-your-writes, named by the app (Bookshelf's are `X-Bookshelf-Position` and
/// `X-Bookshelf-Min-Position`). Values are position vectors (see `PositionVector`).
public struct PositionHeaders: Sendable, Equatable {
    /// On a write's answer: the position of the event it produced. On a view's answer: the positions the
    /// answer reflects.
    public var written: HTTPField.Name
    /// On a read: positions the answer must reflect (typically a write's `written`).
    public var minimum: HTTPField.Name

    public init(written: HTTPField.Name, minimum: HTTPField.Name) {
        self.written = written
        self.minimum = minimum
    }
}

/// Read-your-writes for anything built by a `ProjectionHost`.
package enum ReadYourWrites {
    /// How long a read waits for a requested position before answering 503.
    package static let maximumWait: Duration = .seconds(2)

    /// Waits, up to `timeout`, until `host` has applied everything the log holds now; false when it has not
    /// (or the log's end cannot be learnt). For a request that names no position but would otherwise be
    /// answered "no such thing": a client that added something a moment ago, without our position header,
    /// must not be told it does not exist because this view is a few milliseconds behind.
    package static func awaitEndOfLog<P>(in host: ProjectionHost<P>, timeout: Duration = maximumWait) async -> Bool {
        guard let last = await host.lastPositionsOfLog() else { return false }
        return await host.waitUntilApplied(last, timeout: timeout)
    }

    /// Waits for the request's minimum position (`host.positionHeaders.minimum`), if any: 400 when
    /// malformed, 503 with `Retry-After` when the view has not applied it within `maximumWait`. A position
    /// past the end of the log asks for the whole log and no more: no write answered it, and waiting for it
    /// would end in a 503 that no retry soon could cure. The log's end is asked only when the view has not
    /// applied the target.
    package static func awaitMinimumPosition<P>(of request: Request, in host: ProjectionHost<P>, timeout: Duration = maximumWait) async throws {
        guard let text = request.headers[host.positionHeaders.minimum] else { return }
        guard var target = PositionVector(parsing: text) else {
            throw Problem.badRequest(
                code: "malformed-position",
                "\(host.positionHeaders.minimum.rawName) '\(text.prefix(64))' is not a list of partition:offset pairs such as '3:1042' or '0:17,3:1042' (contracts/rest/position)."
            )
        }
        if !host.hasApplied(target), let last = await host.lastPositionsOfLog() {
            target = target.clamped(to: last)
        }
        guard await host.waitUntilApplied(target, timeout: timeout) else {
            let applied = host.read { _, applied in applied }
            throw Problem.unavailable(
                code: "position-not-reached",
                "This view has applied \(applied.description.isEmpty ? "nothing yet" : applied.description), not yet \(target); retry shortly."
            )
        }
    }
}
