import BookshelfJSON
import BookshelfContracts
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a record could not become a `BookEvent`: the reason a dead letter carries.
public struct UnreadableEvent: ServiceError, Equatable {
    public var code: String
    public var message: String
    public var isRetryable: Bool { false }

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// An event this process built that its own contract refuses: a bug in the producer, reported instead of
/// produced.
public struct EventContractViolation: ServiceError {
    public var code: String { "event-violates-contract" }
    public var message: String
    public var isRetryable: Bool { false }
}

/// CloudEvents 1.0 JSON structured mode for the bookshelf's events. Producers write the newest schema
/// version; decoding accepts every version (v2 added optional members, v3 writes `published` as a string
/// and still reads the integers of v1 and v2) and refuses anything else
/// with a reason instead of crashing. Both ways, every event is checked against contracts/ (the envelope,
/// and `data` against the schema its `dataschema` names) by the same validator other teams' tools agree
/// with: nothing leaves that the contracts refuse, and nothing is applied that they refuse.
public struct EventCodec: Sendable {
    /// The CloudEvents `source` of what this process produces, e.g. `/bookshelf/new-book`.
    public var source: String
    /// The `dataschema` written per event type: the `$id` of the newest schema version.
    public var dataschemas: [String: String]
    /// The contracts every event written is checked against before it is handed to the publisher.
    public let contracts: ContractRegistry

    public init(source: String, contracts: ContractRegistry, dataschemas: [String: String] = EventCodec.newestSchemas) {
        self.source = source
        self.contracts = contracts
        self.dataschemas = dataschemas
    }

    /// The `$id`s of the newest versions in contracts/.
    public static let newestSchemas: [String: String] = [
        EventTypes.bookAdded: schemaPrefix + "bookshelf.book.added/v3.schema.json",
        EventTypes.bookFinished: schemaPrefix + "bookshelf.book.finished/v1.schema.json",
    ]

    /// Every `dataschema` a consumer reads, with the event type it must come with.
    public static let readableSchemas: [String: String] = [
        schemaPrefix + "bookshelf.book.added/v1.schema.json": EventTypes.bookAdded,
        schemaPrefix + "bookshelf.book.added/v2.schema.json": EventTypes.bookAdded,
        schemaPrefix + "bookshelf.book.added/v3.schema.json": EventTypes.bookAdded,
        schemaPrefix + "bookshelf.book.finished/v1.schema.json": EventTypes.bookFinished,
    ]

    static let schemaPrefix = "https://bookshelf.example/contracts/events/"

    public static let contentType = "application/cloudevents+json"

    /// Builds the event as a JSON tree, checks that tree against its contract, then writes it with sorted
    /// keys: one tree per event, validated as built instead of written, parsed back and validated. Ids are
    /// written in the canonical lower-case form the contracts require.
    public func encode(_ event: BookEvent) throws(EventContractViolation) -> [UInt8] {
        // The tree lives only until its text is written.
        try JSONValue.withShortLivedNodes { () throws(EventContractViolation) in try encodeTree(event) }
    }

    private func encodeTree(_ event: BookEvent) throws(EventContractViolation) -> [UInt8] {
        let data: JSONValue
        switch event.kind {
        case .added(let book, let key):
            var members: [(String, JSONValue)] = [
                ("id", .string(book.id.lowercaseText)), ("title", .string(book.title)), ("author", .string(book.author)),
                ("published", .string(book.published)),
            ]
            if let isbn = book.isbn { members.append(("isbn", .string(isbn))) }
            if let tags = book.tags { members.append(("tags", .array(tags.map { .string($0) }))) }
            if let key { members.append(("idempotencyKey", .string(key))) }
            data = .object(members)
        case .finished(let bookID):
            data = .object([("id", .string(bookID.lowercaseText))])
        }
        // Neither event is safe (each changes what views show). Both are idempotent: consumers dedupe by id,
        // and a book finished twice ends up in the same place.
        let envelope = JSONValue.object([
            ("specversion", "1.0"), ("id", .string(event.id.lowercaseText)), ("source", .string(source)),
            ("type", .string(event.type)), ("time", .string(CloudEvent.timestamp(event.time))),
            ("datacontenttype", "application/json"), ("dataschema", .string(dataschemas[event.type] ?? "")),
            ("subject", .string(event.key)), ("safe", false), ("idempotent", true), ("data", data),
        ])
        if let first = contracts.violations(ofEvent: envelope).first {
            throw EventContractViolation(message: "The \(event.type) event this service built violates its contract (\(first)); nothing was produced.")
        }
        return envelope.serializedBytes(sortedKeys: true)
    }

    /// Reads an event: parsed with jansson, checked against `contracts`, then read by plain field access
    /// (replay speed is bounded by decoding, and this is several times faster than `JSONDecoder`). Anything
    /// unreadable is refused with a reason naming the JSON pointer.
    public static func decode(_ bytes: some Collection<UInt8>, contracts: ContractRegistry) throws(UnreadableEvent) -> BookEvent {
        let root: JSONValue
        do {
            // Nothing of the document outlives this call: what is kept is read into Swift values.
            root = try JSONValue(parsing: bytes, placement: .shortLived)
        } catch {
            throw UnreadableEvent(code: "not-a-cloudevent", message: "The record is not JSON: \(error.message).")
        }
        // Identifiers are read from jansson's bytes in place: a `String` for each would cost an allocation
        // per attribute per event, and a replay reads half a million events.
        guard root.isObject, let specversion = root["specversion"], specversion.isString, let typeValue = root["type"],
              let type = (typeValue.withUTF8(Self.knownType) ?? nil) ?? typeValue.string else {
            throw UnreadableEvent(code: "not-a-cloudevent", message: "The record is not a CloudEvents JSON envelope: it needs string members specversion and type.")
        }
        guard specversion.withUTF8({ Self.equal($0, "1.0") }) == true else {
            throw UnreadableEvent(code: "unsupported-specversion", message: "CloudEvents specversion '\(specversion.string ?? "")' is not 1.0.")
        }
        guard type == EventTypes.bookAdded || type == EventTypes.bookFinished else {
            throw UnreadableEvent(code: "unknown-type", message: "Event type '\(type)' is not one this consumer reads.")
        }
        if let schema = root["dataschema"], schema.isString {
            guard let schemaType = schema.withUTF8(Self.readableSchemaType) ?? nil else {
                throw UnreadableEvent(code: "unknown-dataschema", message: "dataschema '\(schema.string ?? "")' names no version of \(type) this consumer reads.")
            }
            guard schemaType == type else {
                throw UnreadableEvent(code: "schema-type-mismatch", message: "dataschema '\(schema.string ?? "")' belongs to \(schemaType), not \(type).")
            }
        }
        func invalid(_ pointer: String, _ what: String) -> UnreadableEvent {
            UnreadableEvent(code: "invalid-event", message: "The \(type) event does not match its schema: \(pointer) \(what).")
        }
        if let first = contracts.violations(ofEvent: root).first {
            throw UnreadableEvent(code: "invalid-event", message: "The \(type) event violates its contract: \(first).")
        }
        guard let id = root["id"]?.withUTF8(UUID.init(utf8:)) ?? nil else { throw invalid("/id", "must be a UUID") }
        guard let time = root["time"]?.withUTF8(parseTime) ?? nil else { throw invalid("/time", "must be an RFC 3339 time") }
        guard let data = root["data"], data.isObject else { throw invalid("/data", "must be an object") }
        guard let bookID = data["id"]?.withUTF8(UUID.init(utf8:)) ?? nil else { throw invalid("/data/id", "must be a UUID") }
        if type == EventTypes.bookFinished {
            return BookEvent(id: id, time: time, kind: .finished(bookID: bookID))
        }
        guard let title = data["title"]?.string else { throw invalid("/data/title", "must be a string") }
        guard let author = data["author"]?.string else { throw invalid("/data/author", "must be a string") }
        // v1 and v2 wrote the year as an integer, v3 as a string: every reader answers it as a string.
        guard let published = data["published"].flatMap(Book.year) else { throw invalid("/data/published", "must be a year") }
        var isbn: String?
        if let value = data["isbn"] {
            guard let text = value.string else { throw invalid("/data/isbn", "must be a string") }
            isbn = text
        }
        var tags: [String]?
        if let value = data["tags"] {
            let strings = value.elements.compactMap(\.string)
            guard value.isArray, strings.count == value.count else { throw invalid("/data/tags", "must be an array of strings") }
            tags = strings
        }
        var key: String?
        if let value = data["idempotencyKey"] {
            guard let text = value.string else { throw invalid("/data/idempotencyKey", "must be a string") }
            key = text
        }
        let book = Book(id: bookID, title: title, author: author, published: published, isbn: isbn, tags: tags)
        return BookEvent(id: id, time: time, kind: .added(book, idempotencyKey: key))
    }

    /// The event type these bytes name, as the shared constant; nil for any other type.
    static func knownType(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        if equal(bytes, EventTypes.bookAdded) { return EventTypes.bookAdded }
        if equal(bytes, EventTypes.bookFinished) { return EventTypes.bookFinished }
        return nil
    }

    /// The event type of the readable `dataschema` these bytes name; nil for any other.
    static func readableSchemaType(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        readableSchemas.first { equal(bytes, $0.key) }?.value
    }

    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ text: String) -> Bool {
        var text = text
        return text.withUTF8 { $0.count == bytes.count && (bytes.isEmpty || memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0) }
    }

    /// RFC 3339 as the envelope schema allows it (`2026-11-26T09:15:00.123Z`, `…+01:00`), parsed by hand:
    /// the Foundation parsers cost more than the rest of an event.
    static func parseTime(_ text: String) -> Date? {
        var text = text
        return text.withUTF8(parseTime)
    }

    static func parseTime(_ bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for index in start..<(start + count) {
                let digit = Int(bytes[index]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            var scale = 1.0
            let start = index
            while index < bytes.count, (48...57).contains(bytes[index]), index - start < 9 {
                digits = digits * 10 + Int(bytes[index] - 48)
                scale *= 10
                index += 1
            }
            guard index > start else { return nil }
            fraction = Double(digits) / scale
        }
        guard index < bytes.count else { return nil }
        var offset = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, bytes[index + 3] == UInt8(ascii: ":"),
                  let hours = number(index + 1, 2), let minutes = number(index + 4, 2) else { return nil }
            offset = (hours * 60 + minutes) * 60 * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
