import Glibc

/// Reads a contracts folder as it was at a git revision, with `git ls-tree` and `git show`, run
/// in the folder so that paths are relative to it.
public struct GitRevision: Sendable {
    public let folder: String
    public let revision: String

    public init(folder: String, revision: String) {
        self.folder = folder
        self.revision = revision
    }

    /// The snapshot of the folder at the revision. Throws when git cannot say (not a repository,
    /// an unknown revision, a shallow clone without it), with git's own words.
    public func snapshot() throws(ContractError) -> ContractsSnapshot {
        let listing = try git(["ls-tree", "-r", "--name-only", "-z", revision, "--", "."])
        let paths = listing.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        var files: [String: [UInt8]] = [:]
        for path in paths where ContractsSnapshot.isContract(path) {
            files[path] = try git(["show", revision + ":./" + path])
        }
        return try ContractsSnapshot(files: files, origin: "\(folder) at \(revision)")
    }

    private func git(_ arguments: [String]) throws(ContractError) -> [UInt8] {
        let result = Self.run(["git", "-C", folder] + arguments)
        guard let result, result.status == 0 else {
            let reason = result.map { String(decoding: $0.error, as: UTF8.self).trimmingSuffix() } ?? "git could not be started"
            throw ContractError(code: .folderNotFound,
                                message: "cannot read \(folder) at git revision \(revision): \(reason)")
        }
        return result.output
    }

    /// Runs a command to its end: exit status, standard output and standard error.
    static func run(_ commandLine: [String]) -> (status: Int32, output: [UInt8], error: [UInt8])? {
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0 else { return nil }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            return nil
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        posix_spawn_file_actions_addclose(&actions, outPipe[0])
        posix_spawn_file_actions_addclose(&actions, errPipe[0])
        var pid: pid_t = 0
        let arguments = commandLine.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        let spawned = arguments.withUnsafeBufferPointer { argv in
            posix_spawnp(&pid, commandLine[0], &actions, nil, UnsafeMutablePointer(mutating: argv.baseAddress!), environ)
        }
        close(outPipe[1])
        close(errPipe[1])
        defer {
            close(outPipe[0])
            close(errPipe[0])
        }
        guard spawned == 0 else { return nil }
        // Standard error is read to its end in a second pass: git writes little there, and
        // nothing it writes to standard output waits for it.
        let output = readAll(outPipe[0])
        let error = readAll(errPipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let exited = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exited, output, error)
    }

    private static func readAll(_ descriptor: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes += buffer[0..<count]
            } else if count < 0, errno == EINTR {
                continue
            } else {
                return bytes
            }
        }
    }
}

private extension String {
    func trimmingSuffix() -> String {
        var text = self
        while text.last?.isWhitespace == true { text.removeLast() }
        return text
    }
}
