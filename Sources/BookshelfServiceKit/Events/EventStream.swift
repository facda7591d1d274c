/// The topics of an app's events, named by the app (Bookshelf's are `bookshelf.events` and
/// `bookshelf.deadletter`): every event is produced to `topic` and replayed from it; what a consumer
/// cannot read goes to `deadLetterTopic`.
public struct EventStream: Sendable, Equatable {
    public var topic: String
    public var deadLetterTopic: String

    public init(topic: String, deadLetterTopic: String) {
        self.topic = topic
        self.deadLetterTopic = deadLetterTopic
    }
}
