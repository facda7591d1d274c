/// One process of the stack: how to run it, how to tell it is ready, and what to do when it exits.
package struct ChildSpec: Sendable {
    /// How the supervisor learns that a child is ready to serve.
    package enum Readiness: Sendable {
        /// `GET http://host:port/path` answers 2xx.
        case http(host: String, port: Int, path: String)
        /// The child prints a line starting with `prefix` on standard output; the rest of that line is
        /// what it announces (the embedded broker's address), available to later children's arguments.
        case announces(prefix: String)
    }

    package enum RestartPolicy: Sendable, Equatable {
        /// An exit ends the stack (a child whose state cannot be rebuilt, like an in-memory broker).
        case never
        /// An exit is answered by starting the child again with the same command line, at most
        /// `limit` times within `window`; one more exit in that window ends the stack.
        case onExit(limit: Int, window: Duration)
    }

    package let name: String
    /// The executable and its arguments (`[0]` is the executable's path), given what earlier children
    /// announced, keyed by child name.
    package let commandLine: @Sendable (_ announced: [String: String]) -> [String]
    package let readiness: Readiness
    package let restart: RestartPolicy

    package init(
        name: String,
        readiness: Readiness,
        restart: RestartPolicy,
        commandLine: @escaping @Sendable (_ announced: [String: String]) -> [String]
    ) {
        self.name = name
        self.readiness = readiness
        self.restart = restart
        self.commandLine = commandLine
    }
}

/// The children in start order: each stage starts once every child of the previous stage is ready, and
/// stages stop in reverse order, so a dependency starts first and stops last.
package struct StackPlan: Sendable {
    package let stages: [[ChildSpec]]
    /// How long one child may take from start to ready.
    package let readyTimeout: Duration
    /// How long a child may take to exit after SIGTERM before it gets SIGKILL.
    package let stopTimeout: Duration

    package init(stages: [[ChildSpec]], readyTimeout: Duration = .seconds(60), stopTimeout: Duration = .seconds(10)) {
        self.stages = stages
        self.readyTimeout = readyTimeout
        self.stopTimeout = stopTimeout
    }
}
