import BookshelfContracts

/// The repository's contracts/ folder, found from the working directory as `bookshelf` finds it.
let repositoryContractsFolder: String = {
    do {
        return try ContractsLocation.resolve(flag: nil, environmentVariable: "BOOKSHELF_CONTRACTS")
    } catch {
        fatalError("the service tests need the repository's contracts/: \(error)")
    }
}()

/// That folder loaded once for every test of this target: the services check each event they write and
/// read, and new-book each body, against them.
let repositoryContracts: ContractRegistry = {
    do {
        return try ContractRegistry(folder: repositoryContractsFolder)
    } catch {
        fatalError("the service tests need the repository's contracts/: \(error)")
    }
}()
