/// Why the stack could not start or had to stop: a code a script can match, a message that says which
/// child and what to do, and whether simply running `bookshelf up` again can help.
package struct StackError: Error, CustomStringConvertible, Sendable, Equatable {
    package enum Code: String, Sendable {
        /// The executable could not be started at all (missing file, no permission, out of processes).
        case spawnFailed = "spawn-failed"
        /// A child kept running but never answered ready before the deadline.
        case notReady = "not-ready"
        /// A child exited while the stack was starting, or a child that is not restarted exited later.
        case childExited = "child-exited"
        /// A child kept dying after being restarted: more restarts than the budget allows.
        case crashLoop = "crash-loop"
        /// The state file could not be written.
        case stateFile = "state-file"
        /// The operating system refused a pipe, a signal handler or similar.
        case system = "system"
    }

    package let code: Code
    /// The child the error is about, when there is one.
    package let child: String?
    package let message: String
    /// Whether running the same command again may succeed (e.g. a port held by a process that is going away).
    let isRetryable: Bool

    package init(_ code: Code, child: String? = nil, message: String, isRetryable: Bool) {
        self.code = code
        self.child = child
        self.message = message
        self.isRetryable = isRetryable
    }

    package var description: String { "\(code.rawValue): \(message)" }
}
