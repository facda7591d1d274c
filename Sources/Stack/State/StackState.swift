import FoundationEssentials

/// The state file `bookshelf up --state-file FILE` writes once the stack is ready and again after every
/// restart: where the gateway, the broker and each service are, and each child's pid, so scripts and
/// the E2E tests can reach and disturb the stack. Removed when `up` ends.
package struct StackState: Codable, Sendable, Equatable {
    package var gateway: String
    package var broker: String
    /// Service URLs keyed by Consul name (`newbook`, `readbook`, `booklist`, `lastreadbooks`).
    package var services: [String: String]
    /// Pids keyed by child name (`broker`, `new-book`, `book-read`, `list-books`, `last-read`, `gateway`).
    var pids: [String: Int32]

    package init(gateway: String, broker: String, services: [String: String], pids: [String: Int32]) {
        self.gateway = gateway
        self.broker = broker
        self.services = services
        self.pids = pids
    }

    /// Writes the file whole or not at all (a temporary file renamed over it), so a reader polling for
    /// it never sees half of it.
    package func write(to path: String) throws(StackError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let url = URL(fileURLWithPath: path)
        do {
            try (encoder.encode(self) + Data("\n".utf8)).write(to: url, options: .atomic)
        } catch {
            throw StackError(
                .stateFile, message: "cannot write the state file \(path): \(error)",
                isRetryable: false
            )
        }
    }

    package static func read(from path: String) throws -> StackState {
        try JSONDecoder().decode(StackState.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
