import Glibc

/// A running child: its pid and the read ends of its standard output and error pipes. Only the
/// supervisor's thread touches it; it is reaped with `reap()`, never by a blanket `waitpid(-1)`.
final class ChildProcess {
    let pid: pid_t
    /// Read ends of the child's stdout and stderr; -1 once they reached end of file and were closed.
    private(set) var stdout: Int32
    private(set) var stderr: Int32

    /// Starts `commandLine[0]` with the rest as arguments, standard input from /dev/null, stdout and
    /// stderr into pipes, the caller's environment, every signal at its default disposition and
    /// unblocked, and a process group of its own: a terminal's Ctrl-C reaches only the supervisor,
    /// which stops the children in order instead of all of them at once.
    init(name: String, commandLine: [String]) throws(StackError) {
        precondition(!commandLine.isEmpty, "a command line names at least the executable")
        let out = try Self.makePipe(for: name)
        let err: (read: Int32, write: Int32)
        do {
            err = try Self.makePipe(for: name)
        } catch {
            close(out.read)
            close(out.write)
            throw error
        }
        defer {
            close(out.write)
            close(err.write)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // Every other descriptor of ours is close-on-exec, so the child gets exactly these three.
        posix_spawn_file_actions_adddup2(&actions, out.write, 1)
        posix_spawn_file_actions_adddup2(&actions, err.write, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        // The supervisor ignores SIGINT/SIGTERM/SIGPIPE to receive them through Dispatch; an ignored
        // disposition survives exec, so reset every signal the children care about.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes,
            Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP)
        )

        var pid: pid_t = 0
        let result = Self.withCStrings(commandLine) { argv in
            posix_spawn(&pid, commandLine[0], &actions, &attributes, argv, environ)
        }
        guard result == 0 else {
            close(out.read)
            close(err.read)
            throw StackError(
                .spawnFailed, child: name,
                message: "\(name): cannot start \(commandLine[0]): \(String(cString: strerror(result)))",
                isRetryable: result == EAGAIN || result == ENOMEM
            )
        }
        self.pid = pid
        self.stdout = out.read
        self.stderr = err.read
    }

    deinit {
        closeStdout()
        closeStderr()
    }

    /// Sends `signal` to the child (only the child: its own process group may hold grandchildren
    /// that are its business).
    func send(_ signal: Int32) {
        kill(pid, signal)
    }

    /// The child's exit, if it has exited since the last call; nil while it runs.
    func reap() -> ExitStatus? {
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        guard reaped == pid else { return nil }
        return ExitStatus(waitStatus: status)
    }

    func closeStdout() {
        if stdout >= 0 { close(stdout) }
        stdout = -1
    }

    func closeStderr() {
        if stderr >= 0 { close(stderr) }
        stderr = -1
    }

    private static func makePipe(for name: String) throws(StackError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard makeCloseOnExecPipe(&fds) == 0 else {
            let code = errno
            throw StackError(
                .system, child: name,
                message: "\(name): cannot create an output pipe: \(String(cString: strerror(code)))",
                isRetryable: code == EMFILE || code == ENFILE
            )
        }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        return (fds[0], fds[1])
    }

    private static func withCStrings<R>(
        _ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R
    ) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// How a child ended, as `waitpid` reports it.
package enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(code: Int32)
    case signalled(signal: Int32)

    init(waitStatus status: Int32) {
        // WIFEXITED/WTERMSIG are macros Swift cannot import: the low 7 bits are the terminating signal,
        // zero when the process exited normally with the code in the next byte.
        let signal = status & 0x7f
        self = signal == 0 ? .exited(code: (status >> 8) & 0xff) : .signalled(signal: signal)
    }

    package var description: String {
        switch self {
        case .exited(let code):
            return "exited with status \(code)"
        case .signalled(let signal):
            return "was killed by signal \(signal) (\(ExitStatus.signalName(signal)))"
        }
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        case SIGKILL: return "SIGKILL"
        case SIGSEGV: return "SIGSEGV"
        case SIGABRT: return "SIGABRT"
        case SIGILL: return "SIGILL"
        case SIGBUS: return "SIGBUS"
        case SIGTRAP: return "SIGTRAP"
        case SIGHUP: return "SIGHUP"
        case SIGQUIT: return "SIGQUIT"
        case SIGPIPE: return "SIGPIPE"
        case SIGUSR1: return "SIGUSR1"
        case SIGUSR2: return "SIGUSR2"
        default: return strsignal(signal).map { String(cString: $0) } ?? "an unknown signal"
        }
    }
}

/// `pipe2(O_CLOEXEC)` is hidden behind `_GNU_SOURCE` in Swift's Glibc module, so the flag is set right
/// after: only the supervisor's thread spawns, so no child can be started in between and inherit it.
func makeCloseOnExecPipe(_ fds: inout [Int32]) -> Int32 {
    guard pipe(&fds) == 0 else { return -1 }
    for fd in fds {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }
    return 0
}
