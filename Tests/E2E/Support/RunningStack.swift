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
        return Int32(try XCTUnwrap(pids[child] as? Int, "the state file has no pid for \(child): \(pids)"))
    }

    /// Takes every broker away, or brings them back. The embedded broker does it on SIGUSR1/SIGUSR2 and
    /// keeps its log; an external one (`bookshelf up --broker`) is frozen and thawed by the pid that
    /// `BOOKSHELF_BROKER_PID` names (scripts/e2e-tansu.sh sets it), which keeps its log too.
    func setBroker(up: Bool) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let state = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        if let pids = state["pids"] as? [String: Any], pids["broker"] != nil {
            try signal("broker", up ? SIGUSR2 : SIGUSR1)
            return
        }
        let external = ProcessInfo.processInfo.environment["BOOKSHELF_BROKER_PID"] ?? ""
        let pid = try XCTUnwrap(
            Int32(external),
            "the stack uses an external broker (\(state["broker"] ?? "?")): set BOOKSHELF_BROKER_PID to its pid so that this journey can take it down"
        )
        XCTAssertEqual(kill(pid, up ? SIGCONT : SIGSTOP), 0, "cannot signal the external broker (pid \(pid))")
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
