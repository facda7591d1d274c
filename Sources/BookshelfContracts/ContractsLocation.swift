import FoundationEssentials

/// Where a process finds its app's contracts folder at run time.
///
/// One setting, three sources, first match wins: the `--contracts DIR` flag, the app's environment variable
/// (the Bookshelf app's `BOOKSHELF_CONTRACTS`, the reviews example's `REVIEWS_CONTRACTS`: the app names it,
/// this module has none of its own), then a `contracts/` folder holding the envelope schema in the working
/// directory or one of its parents (so the binary works from the repository root and from any folder inside it).
public enum ContractsLocation {
    /// The contracts folder, or an error that says how to name one.
    public static func resolve(
        flag: String?,
        environmentVariable: String,
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

    /// Resolves the folder and loads it; a folder that is not there is an error naming the flag and the variable.
    public static func load(
        flag: String?,
        environmentVariable: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) throws(ContractError) -> ContractRegistry {
        let folder = try resolve(flag: flag, environmentVariable: environmentVariable, environment: environment, workingDirectory: workingDirectory)
        do {
            return try ContractRegistry(folder: folder)
        } catch where error.code == .folderNotFound {
            let separator = error.message.hasSuffix("?") ? " " : ". "
            throw ContractError(code: .folderNotFound, message: error.message + separator + "Pass --contracts DIR or set \(environmentVariable).")
        }
    }
}
