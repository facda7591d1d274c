import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest

/// The processes behind the gateway, from the state file `bookshelf up --state-file` writes
/// (`BOOKSHELF_STATE_FILE`): lets a journey kill a view or take the broker down. Journeys that need it
/// skip on stacks without one (docker compose, Kubernetes).
struct RunningStack {
    let path: String

    static func fromEnvironment() throws -> RunningStack {
        guard let path = ProcessInfo.processInfo.environment["BOOKSHELF_STATE_FILE"], !path.isEmpty else {
            throw XCTSkip("BOOKSHELF_STATE_FILE is not set: this journey disturbs the processes of a `bookshelf up` stack")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("BOOKSHELF_STATE_FILE names \(path), which does not exist: is `bookshelf up --state-file` running?")
        }
        return RunningStack(path: path)
    }

    /// The child's pid as `up` last recorded it (it rewrites the file once a restarted child is ready).
    func pid(of child: String) throws -> Int32 {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let state = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let pids = try XCTUnwrap(state["pids"] as? [String: Any], "the state file has no pids: \(state)")
        if child == "broker", pids[child] == nil, let broker = state["broker"] as? String, !broker.isEmpty {
            throw XCTSkip("the stack uses an external broker (\(broker), `bookshelf up --broker`), which this journey cannot take down")
        }
        return Int32(try XCTUnwrap(pids[child] as? Int, "the state file has no pid for \(child): \(pids)"))
    }

    func signal(_ child: String, _ number: Int32) throws {
        let pid = try pid(of: child)
        XCTAssertEqual(kill(pid, number), 0, "cannot signal \(child) (pid \(pid))")
    }

    /// Waits until `up` reports `child` running again under a new pid, i.e. restarted and ready.
    func waitForRestart(of child: String, replacing old: Int32, timeout: TimeInterval = 60) async throws -> Int32 {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if let pid = try? pid(of: child), pid != old { return pid }
            try await Task.sleep(for: .milliseconds(100))
        }
        XCTFail("\(child) was not restarted within \(Int(timeout)) s (still pid \(old))")
        throw CancellationError()
    }
}
