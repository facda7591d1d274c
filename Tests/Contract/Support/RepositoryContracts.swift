import BookshelfContracts

/// The repository's contracts/, found from the working directory as `bookshelf` finds it, loaded once
/// for every test of this target: the services check each event they write and read against them.
let repositoryContracts: ContractRegistry = {
    do {
        return try ContractsLocation.load(flag: nil, environmentVariable: "BOOKSHELF_CONTRACTS")
    } catch {
        fatalError("the service tests need the repository's contracts/: \(error)")
    }
}()
