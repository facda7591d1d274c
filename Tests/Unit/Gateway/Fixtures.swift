import Foundation
@testable import Gateway

/// The repository's own contracts folder: the gateway is tested against the real openapi.json and schemas.
let contractsDirectory: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("contracts").path
}()

let sharedContracts: GatewayContracts = {
    do {
        return try GatewayContracts(directory: contractsDirectory)
    } catch {
        fatalError("contracts/ does not load: \(error)")
    }
}()

let sharedSchemas: ContractSchemas = {
    do {
        return try ContractSchemas(directory: contractsDirectory, routes: sharedContracts.routes)
    } catch {
        fatalError("contracts/ schemas do not compile: \(error)")
    }
}()

let someBookID = "0b7c3a52-8f0e-4c1e-9a55-2f4d6f1c9e01"
