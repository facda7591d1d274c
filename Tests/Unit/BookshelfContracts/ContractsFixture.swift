import Foundation

/// The repository's contracts folder, found from this file so tests run from any directory.
enum ContractsFixture {
    static let folder: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("contracts").path

    /// A scratch copy of the contracts folder that a test may break; removed by `remove()`.
    static func copy() throws -> String {
        let target = FileManager.default.temporaryDirectory
            .appendingPathComponent("bookshelf-contracts-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: folder, toPath: target)
        return target
    }
}
