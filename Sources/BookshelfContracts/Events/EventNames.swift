/// The names the event contracts fix, so that producers, consumers and tests spell them once.
public enum EventNames {
    /// The topic of every Bookshelf event; record key = book id.
    public static let eventsTopic = "bookshelf.events"
    /// Where consumers put the records they cannot read.
    public static let deadLetterTopic = "bookshelf.deadletter"

    public static let bookAdded = "bookshelf.book.added"
    public static let bookFinished = "bookshelf.book.finished"

    /// The `source` of book.added events.
    public static let newBookSource = "/bookshelf/new-book"
    /// The `source` of book.finished events.
    public static let bookReadSource = "/bookshelf/book-read"

    /// The Kafka header that carries `CloudEvent.mediaType`.
    public static let contentTypeHeader = "content-type"
}

/// The headers of a dead-lettered record (`contracts/deadletter/headers.schema.json`); values are
/// UTF-8 text, partition and offset in decimal.
public enum DeadLetterHeaders {
    public static let originalTopic = "dlq-original-topic"
    public static let originalPartition = "dlq-original-partition"
    public static let originalOffset = "dlq-original-offset"
    public static let consumer = "dlq-consumer"
    public static let reason = "dlq-reason"
    /// Optional: the reason as a stable lowercase code.
    public static let reasonCode = "dlq-reason-code"
}
