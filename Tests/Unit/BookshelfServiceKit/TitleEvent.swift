import BookshelfContracts
import BookshelfJSON
import BookshelfServiceKit
import Foundation

/// The smallest service event a test of the kit needs, over the repository's contracts: the id and title
/// of a `bookshelf.book.added` (written with a fixed author and year), or the id of a
/// `bookshelf.book.finished`. It is not Bookshelf's `BookEvent`: the kit must serve any event type its
/// contracts folder describes.
struct TitleEvent: ServiceEvent, Equatable {
    static let added = "bookshelf.book.added"
    static let finished = "bookshelf.book.finished"

    var id: UUID
    var time: Date
    var type: String
    var subject: UUID
    /// nil for a finished event.
    var title: String?

    static func added(_ title: String, id: UUID = UUID(), subject: UUID = UUID(), time: Date = Date()) -> TitleEvent {
        TitleEvent(id: id, time: time, type: added, subject: subject, title: title)
    }

    init(id: UUID, time: Date, type: String, subject: UUID, title: String?) {
        self.id = id
        self.time = time
        self.type = type
        self.subject = subject
        self.title = title
    }

    var key: String { subject.lowercaseText }

    func data() -> JSONValue {
        guard let title else { return ["id": .string(subject.lowercaseText)] }
        return ["id": .string(subject.lowercaseText), "title": .string(title), "author": "A", "published": "2000"]
    }

    init(id: UUID, time: Date, type: String, data: JSONValue) throws(UnreadableEvent) {
        guard let subject = data["id"]?.string.flatMap({ UUID(text: $0) }) else {
            throw UnreadableEvent(code: "invalid-event", message: "/data/id must be a UUID")
        }
        switch type {
        case Self.added:
            guard let title = data["title"]?.string else { throw UnreadableEvent(code: "invalid-event", message: "/data/title must be a string") }
            self.init(id: id, time: time, type: type, subject: subject, title: title)
        case Self.finished:
            self.init(id: id, time: time, type: type, subject: subject, title: nil)
        default:
            throw UnreadableEvent(code: "unknown-type", message: "\(type) is not one TitleEvent reads")
        }
    }
}
