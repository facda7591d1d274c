import FoundationEssentials

/// Where a `bookshelf` process finds the contracts folder at run time.
///
/// One setting, three sources, first match wins: the `--contracts DIR` flag, the
/// `BOOKSHELF_CONTRACTS` environment variable, then a `contracts/` folder holding the envelope
/// schema in the working directory or one of its parents (so the binary works from the
/// repository root and from any folder inside it).
public enum ContractsLocation {
    public static let environmentVariable = "BOOKSHELF_CONTRACTS"

    /// The contracts folder, or an error that says how to name one.
    public static func resolve(
        flag: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) throws(ContractError) -> String {
        if let flag, !flag.isEmpty { return flag }
        if let variable = environment[environmentVariable], !variable.isEmpty { return variable }
        var directory = URL(fileURLWithPath: workingDirectory).standardizedFileURL
        while true {
            let candidate = directory.appendingPathComponent("contracts")
            let envelope = candidate.appendingPathComponent("cloudevents/envelope.schema.json").path
            if FileManager.default.fileExists(atPath: envelope) { return candidate.path }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        throw ContractError(
            code: .folderNotFound,
            message: "no contracts folder found from \(workingDirectory) upwards: pass --contracts DIR or set \(environmentVariable)"
        )
    }

    /// Resolves the folder and loads it.
    public static func load(
        flag: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) throws(ContractError) -> ContractRegistry {
        try ContractRegistry(folder: resolve(flag: flag, environment: environment, workingDirectory: workingDirectory))
    }
}
