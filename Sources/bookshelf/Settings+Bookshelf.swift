import BookshelfApp
import BookshelfContracts
import BookshelfServiceKit

extension Settings {
    /// The Bookshelf app's settings: every variable under its prefix, `BOOKSHELF_`.
    static var bookshelf: Settings { Settings(prefix: BookshelfServices.environmentPrefix) }
}

extension ContractsLocation {
    /// The variable the Bookshelf app's `--contracts` falls back to, `BOOKSHELF_CONTRACTS`.
    static var bookshelfVariable: String { Settings.bookshelf.variable("CONTRACTS") }
}
