import BookshelfServiceKit
import HTTPTypes

/// The names Bookshelf's contracts fix for its events and read-your-writes, written once: producers,
/// consumers, the embedded broker, the CLI and the tests all read them here.
package enum BookshelfEvents {
    /// The topic of every Bookshelf event; record key = book id.
    package static let topic = "bookshelf.events"
    /// Where consumers put the records they cannot read.
    package static let deadLetterTopic = "bookshelf.deadletter"
    package static let stream = EventStream(topic: topic, deadLetterTopic: deadLetterTopic)

    package static let bookAdded = "bookshelf.book.added"
    package static let bookFinished = "bookshelf.book.finished"

    /// The `source` of book.added events.
    package static let newBookSource = "/bookshelf/new-book"
    /// The `source` of book.finished events.
    package static let bookReadSource = "/bookshelf/book-read"

    package static let positionHeaders = PositionHeaders(written: .bookshelfPosition, minimum: .bookshelfMinPosition)
}

extension HTTPField.Name {
    /// On a write's answer: the position of the event it produced. On a view's answer: the positions the
    /// answer reflects. Format: see `PositionVector`.
    package static let bookshelfPosition = HTTPField.Name("X-Bookshelf-Position")!
    /// On a read: positions the answer must reflect (typically a write's `X-Bookshelf-Position`).
    package static let bookshelfMinPosition = HTTPField.Name("X-Bookshelf-Min-Position")!
}
