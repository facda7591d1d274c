import ArgumentParser

/// `bookshelf contracts …`: the tools around `contracts/` (validate here; check and compat join
/// this group from the contracts module).
struct ContractsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contracts",
        abstract: "Validate documents against the JSON Schema contracts, and check the contracts themselves.",
        subcommands: [
            ValidateCommand.self,
            CheckCommand.self,
            CompatCommand.self,
            DiffCommand.self,
            VerifyTopicCommand.self,
            RegistryCommand.self,
        ]
    )
}
