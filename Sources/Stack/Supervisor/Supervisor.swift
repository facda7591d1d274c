import Glibc
import Logging

/// Runs a `StackPlan`: starts each stage's children and waits until they are ready, relays their output
/// line by line under their name, restarts the children whose policy says so, and stops everything in
/// reverse order when asked or when a child fails for good.
///
/// Everything happens on the thread that calls `run()`: one `poll` loop over the children's output
/// pipes and a wake-up pipe, with `waitpid(pid, WNOHANG)` for each child. Other threads and signal
/// handlers only ever reach it through `stopHandle`.
package final class Supervisor {
    package enum Event: Sendable {
        /// Every child is ready for the first time.
        case ready(StackSnapshot)
        /// A child was restarted and is ready again (with a new pid).
        case restarted(child: String, StackSnapshot)
    }

    package enum Stream: Sendable {
        case stdout
        case stderr
    }

    package typealias OutputSink = (_ child: String, _ stream: Stream, _ line: String) -> Void
    package typealias EventHandler = (Event) throws(StackError) -> Void

    package let stopHandle: StopHandle

    private let plan: StackPlan
    private let logger: Logger
    private let output: OutputSink
    private let onEvent: EventHandler
    private let wake: WakePipe
    private let slots: [[Slot]]
    private var announced: [String: String] = [:]
    private var stopRequests = 0
    /// Every child has been ready once: from now on an exit is answered by the child's restart policy.
    private var isUp = false
    private let clock = ContinuousClock()

    package init(plan: StackPlan, logger: Logger, output: @escaping OutputSink, onEvent: @escaping EventHandler) throws(StackError) {
        self.plan = plan
        self.logger = logger
        self.output = output
        self.onEvent = onEvent
        self.wake = try WakePipe()
        self.stopHandle = wake.handle
        self.slots = plan.stages.map { $0.map(Slot.init) }
    }

    /// Returns once a requested stop has ended every child; throws, after stopping every child, the
    /// error that made the stack fail (naming the child).
    package func run() throws(StackError) {
        do {
            try startAll()
            while stopRequests == 0 {
                try step()
            }
        } catch {
            stopAll()
            throw error
        }
        stopAll()
    }

    // MARK: - Starting

    private func startAll() throws(StackError) {
        for stage in slots {
            for slot in stage {
                try spawn(slot)
            }
            while stage.contains(where: { !$0.isReady }) {
                guard stopRequests == 0 else { return }
                try step()
            }
        }
        guard stopRequests == 0 else { return }
        isUp = true
        try onEvent(.ready(snapshot()))
    }

    private func spawn(_ slot: Slot) throws(StackError) {
        let commandLine = slot.spec.commandLine(announced)
        logger.info("starting \(slot.spec.name): \(commandLine.joined(separator: " "))")
        slot.process = try ChildProcess(name: slot.spec.name, commandLine: commandLine)
        let now = clock.now
        slot.phase = .starting(since: now, deadline: now + plan.readyTimeout, nextProbe: now, backoff: .milliseconds(50))
        slot.lastProblem = nil
    }

    // MARK: - The loop

    /// One turn: wait for output or a stop request (at most until the next readiness probe is due),
    /// then handle exits and probes.
    private func step() throws(StackError) {
        pump(timeout: nextWake())
        guard stopRequests == 0 else { return }
        try handleExits()
        try probe()
    }

    private func nextWake() -> Duration {
        let now = clock.now
        var wait = Duration.milliseconds(250)
        for slot in slots.joined() {
            if case .starting(_, _, let nextProbe, _) = slot.phase, case .http = slot.spec.readiness {
                wait = min(wait, max(.zero, now.duration(to: nextProbe)))
            }
        }
        return wait
    }

    /// Waits up to `timeout` for a child's output or a stop request, relays the complete lines and
    /// records the stop requests.
    private func pump(timeout: Duration) {
        var entries = [pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0)]
        var owners: [(Slot, Stream)] = []
        for slot in slots.joined() {
            guard let process = slot.process else { continue }
            if process.stdout >= 0 {
                entries.append(pollfd(fd: process.stdout, events: Int16(POLLIN), revents: 0))
                owners.append((slot, .stdout))
            }
            if process.stderr >= 0 {
                entries.append(pollfd(fd: process.stderr, events: Int16(POLLIN), revents: 0))
                owners.append((slot, .stderr))
            }
        }
        guard poll(&entries, nfds_t(entries.count), Int32(timeout.milliseconds)) > 0 else { return }

        if entries[0].revents != 0 {
            let signals = wake.drain()
            if !signals.isEmpty {
                if stopRequests == 0 {
                    logger.notice("received \(ExitStatus.signalName(signals[0])): stopping the stack (again to kill it)")
                }
                stopRequests += signals.count
            }
        }
        for (entry, (slot, stream)) in zip(entries.dropFirst(), owners) where entry.revents != 0 {
            read(slot, stream)
        }
    }

    private func read(_ slot: Slot, _ stream: Stream) {
        guard let process = slot.process else { return }
        let fd = stream == .stdout ? process.stdout : process.stderr
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if count > 0 {
            for line in slot.buffers[stream == .stdout ? 0 : 1].append(chunk[..<count]) {
                relay(slot, stream, line)
            }
        } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
            if let last = slot.buffers[stream == .stdout ? 0 : 1].finish() {
                relay(slot, stream, last)
            }
            stream == .stdout ? process.closeStdout() : process.closeStderr()
        }
    }

    private func relay(_ slot: Slot, _ stream: Stream, _ line: String) {
        slot.remember(line)
        output(slot.spec.name, stream, line)
        if stream == .stdout, case .announces(let prefix) = slot.spec.readiness, !slot.isReady, line.hasPrefix(prefix) {
            let value = String(line.dropFirst(prefix.count)).trimmingWhitespace()
            announced[slot.spec.name] = value
            becameReady(slot)
        }
    }

    private func probe() throws(StackError) {
        let now = clock.now
        for slot in slots.joined() {
            guard case .starting(let since, let deadline, let nextProbe, let backoff) = slot.phase else { continue }
            if now >= deadline {
                throw StackError(
                    .notReady, child: slot.spec.name,
                    message: "\(slot.spec.name) (pid \(slot.pid)) did not become ready within \(plan.readyTimeout)"
                        + (slot.lastProblem.map { " (last probe: \($0))" } ?? "")
                        + slot.recentOutput,
                    isRetryable: true
                )
            }
            guard case .http(let host, let port, let path) = slot.spec.readiness, now >= nextProbe else { continue }
            switch HTTPProbe(host: host, port: port, path: path).check() {
            case .ready:
                becameReady(slot)
            case .notReady(let reason):
                slot.lastProblem = reason
                let next = min(backoff * 2, .seconds(1))
                slot.phase = .starting(since: since, deadline: deadline, nextProbe: clock.now + backoff, backoff: next)
            }
        }
    }

    private func becameReady(_ slot: Slot) {
        guard case .starting(let since, _, _, _) = slot.phase else { return }
        slot.phase = .ready
        logger.info("\(slot.spec.name) is ready (pid \(slot.pid), \(Self.format(since.duration(to: clock.now))))")
        if slot.isRestarting {
            slot.isRestarting = false
            do {
                try onEvent(.restarted(child: slot.spec.name, snapshot()))
            } catch {
                // A restart that cannot be recorded still serves; say so and carry on.
                logger.error("\(error.message)")
            }
        }
    }

    // MARK: - Exits and restarts

    private func handleExits() throws(StackError) {
        for slot in slots.joined() {
            guard let process = slot.process, slot.exit == nil, let status = process.reap() else { continue }
            slot.exit = status
            drainOutput(of: slot)
            let what = "\(slot.spec.name) (pid \(process.pid)) \(status)"
            guard isUp, case .onExit(let limit, let window) = slot.spec.restart else {
                throw StackError(.childExited, child: slot.spec.name, message: what + slot.recentOutput, isRetryable: false)
            }
            let now = clock.now
            slot.restarts.removeAll { $0.duration(to: now) > window }
            guard slot.restarts.count < limit else {
                throw StackError(
                    .crashLoop, child: slot.spec.name,
                    message: "\(what), its \(limit + 1)th exit within \(window): not restarting it again" + slot.recentOutput,
                    isRetryable: false
                )
            }
            slot.restarts.append(now)
            logger.warning("\(what); restarting it (\(slot.restarts.count) of \(limit) restarts within \(window))")
            slot.isRestarting = true
            slot.exit = nil
            try spawn(slot)
        }
    }

    /// Relays what an exited child left in its pipes, so its last words come before the supervisor's.
    private func drainOutput(of slot: Slot) {
        guard let process = slot.process else { return }
        while process.stdout >= 0 { read(slot, .stdout) }
        while process.stderr >= 0 { read(slot, .stderr) }
    }

    // MARK: - Stopping

    /// SIGTERM to each stage's running children, last stage first, waiting for them before the next;
    /// SIGKILL to whoever outlives `stopTimeout` or when a second stop is requested.
    private func stopAll() {
        for stage in slots.reversed() {
            let running = stage.filter { $0.process != nil && $0.exit == nil }
            guard !running.isEmpty else { continue }
            for slot in running {
                logger.info("stopping \(slot.spec.name) (pid \(slot.pid))")
                slot.process?.send(SIGTERM)
            }
            let deadline = clock.now + plan.stopTimeout
            var killed = false
            while running.contains(where: { $0.exit == nil }) {
                if !killed, stopRequests > 1 || clock.now >= deadline {
                    killed = true
                    for slot in running where slot.exit == nil {
                        logger.warning("\(slot.spec.name) (pid \(slot.pid)) is still running: sending SIGKILL")
                        slot.process?.send(SIGKILL)
                    }
                }
                pump(timeout: .milliseconds(50))
                for slot in running where slot.exit == nil {
                    guard let status = slot.process?.reap() else { continue }
                    slot.exit = status
                    drainOutput(of: slot)
                    if status != .exited(code: 0) && status != .signalled(signal: SIGTERM) {
                        logger.warning("\(slot.spec.name) (pid \(slot.pid)) \(status) while stopping")
                    }
                }
            }
        }
    }

    // MARK: - Snapshot

    private func snapshot() -> StackSnapshot {
        StackSnapshot(members: slots.joined().compactMap { slot in
            slot.process.map { StackSnapshot.Member(name: slot.spec.name, pid: $0.pid, announced: announced[slot.spec.name]) }
        })
    }

    private static func format(_ duration: Duration) -> String {
        let milliseconds = duration.milliseconds
        return milliseconds < 1000 ? "\(milliseconds) ms" : "\(milliseconds / 1000).\(milliseconds % 1000 / 100) s"
    }
}

/// What the supervisor knows about one child of the plan.
private final class Slot {
    enum Phase {
        case notStarted
        case starting(since: ContinuousClock.Instant, deadline: ContinuousClock.Instant, nextProbe: ContinuousClock.Instant, backoff: Duration)
        case ready
    }

    let spec: ChildSpec
    var process: ChildProcess?
    var phase: Phase = .notStarted
    var exit: ExitStatus?
    var isRestarting = false
    var restarts: [ContinuousClock.Instant] = []
    var lastProblem: String?
    var buffers = [LineBuffer(), LineBuffer()]
    private var recent: [String] = []

    init(_ spec: ChildSpec) {
        self.spec = spec
    }

    var pid: Int32 { process?.pid ?? 0 }

    var isReady: Bool {
        if case .ready = phase { return true }
        return false
    }

    func remember(_ line: String) {
        recent.append(line)
        if recent.count > 10 { recent.removeFirst() }
    }

    /// The child's last lines, for an error message that explains itself.
    var recentOutput: String {
        recent.isEmpty ? "" : "; its last output:\n" + recent.map { "  \($0)" }.joined(separator: "\n")
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
