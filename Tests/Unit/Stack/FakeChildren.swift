import Foundation
import Glibc
import Logging
import Stack
import XCTest

/// Stand-ins for the real services: `/bin/sh` and Python's `http.server` serving a folder that holds a
/// `health/ready` file, so `GET /health/ready` answers 200 exactly while the process lives.
enum FakeChildren {
    static let healthFolder: String = {
        let folder = NSTemporaryDirectory() + "bookshelf-stack-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: folder + "/health", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: folder + "/health/ready", contents: Data("ok\n".utf8))
        return folder
    }()

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                _ = bind(fd, $0, length)
                _ = getsockname(fd, $0, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Announces `address` like `bookshelf broker`, then idles until signalled.
    static func broker(address: String = "127.0.0.1:19092", restart: ChildSpec.RestartPolicy = .never) -> ChildSpec {
        ChildSpec(name: "broker", readiness: .announces(prefix: "broker listening on "), restart: restart) { _ in
            ["/bin/sh", "-c", "echo 'broker listening on \(address)'; exec sleep 600"]
        }
    }

    /// Prints the broker address it was given, then serves `/health/ready` on `port`.
    static func service(_ name: String, port: Int, restart: ChildSpec.RestartPolicy = .onExit(limit: 3, window: .seconds(60))) -> ChildSpec {
        ChildSpec(name: name, readiness: .http(host: "127.0.0.1", port: port, path: "/health/ready"), restart: restart) { announced in
            [
                "/bin/sh", "-c",
                "echo \"\(name) got broker $1\"; exec python3 -m http.server \(port) --bind 127.0.0.1 --directory \(healthFolder)",
                "sh", announced["broker"] ?? "none",
            ]
        }
    }

    /// Runs but never answers.
    static func silent(_ name: String) -> ChildSpec {
        ChildSpec(name: name, readiness: .http(host: "127.0.0.1", port: freePort(), path: "/health/ready"), restart: .never) { _ in
            ["/bin/sh", "-c", "exec sleep 600"]
        }
    }

    /// Says why and exits 3 straight away.
    static func failing(_ name: String) -> ChildSpec {
        ChildSpec(name: name, readiness: .http(host: "127.0.0.1", port: freePort(), path: "/health/ready"), restart: .never) { _ in
            ["/bin/sh", "-c", "echo 'address already in use' >&2; exit 3"]
        }
    }

    static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0
    }
}

/// A supervisor running on a thread of its own, with what it reported so far, for a test to wait on.
final class RunningStack: @unchecked Sendable {
    struct Line: Equatable {
        let child: String
        let stream: Supervisor.Stream
        let text: String
    }

    private let condition = NSCondition()
    private var events: [Supervisor.Event] = []
    private var lines: [Line] = []
    private var outcome: Result<Void, StackError>?
    let stopHandle: StopHandle

    init(_ plan: StackPlan) throws {
        var logger = Logger(label: "stack-tests")
        logger.logLevel = .critical
        var record: ((Supervisor.Event) -> Void)?
        var relay: ((Line) -> Void)?
        let supervisor = try Supervisor(
            plan: plan, logger: logger,
            output: { child, stream, text in relay?(Line(child: child, stream: stream, text: text)) },
            onEvent: { event in record?(event) }
        )
        stopHandle = supervisor.stopHandle
        record = { [condition] event in
            condition.lock()
            self.events.append(event)
            condition.broadcast()
            condition.unlock()
        }
        relay = { [condition] line in
            condition.lock()
            self.lines.append(line)
            condition.broadcast()
            condition.unlock()
        }
        nonisolated(unsafe) let running = supervisor
        Thread {
            let result: Result<Void, StackError>
            do throws(StackError) {
                try running.run()
                result = .success(())
            } catch {
                result = .failure(error)
            }
            self.condition.lock()
            self.outcome = result
            self.condition.broadcast()
            self.condition.unlock()
        }.start()
    }

    /// The first event (in order) that `matches`, waiting up to `timeout` for it.
    func event(timeout: TimeInterval = 20, where matches: (Supervisor.Event) -> Bool) -> Supervisor.Event? {
        wait(timeout: timeout) { events.first(where: matches) }
    }

    func readySnapshot(timeout: TimeInterval = 20) -> StackSnapshot? {
        guard case .ready(let snapshot) = event(timeout: timeout, where: { if case .ready = $0 { true } else { false } }) else {
            return nil
        }
        return snapshot
    }

    func restartedSnapshot(of child: String, timeout: TimeInterval = 20) -> StackSnapshot? {
        let found = event(timeout: timeout) {
            if case .restarted(child, _) = $0 { true } else { false }
        }
        guard case .restarted(_, let snapshot) = found else { return nil }
        return snapshot
    }

    func outcome(timeout: TimeInterval = 20) -> Result<Void, StackError>? {
        wait(timeout: timeout) { outcome }
    }

    var output: [Line] {
        condition.lock()
        defer { condition.unlock() }
        return lines
    }

    private func wait<T>(timeout: TimeInterval, _ value: () -> T?) -> T? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let found = value() { return found }
            guard condition.wait(until: deadline) else { return value() }
        }
    }
}
