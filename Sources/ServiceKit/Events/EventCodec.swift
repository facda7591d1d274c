import Foundation

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

/// CloudEvents 1.0 JSON structured mode for the bookshelf's events. Producers write the newest schema
/// version; decoding accepts every version (v2 only added optional members) and refuses anything else
/// with a reason instead of crashing.
public struct EventCodec: Sendable {
    /// The CloudEvents `source` of what this process produces, e.g. `/bookshelf/new-book`.
    public var source: String
    /// The `dataschema` written per event type: the `$id` of the newest schema version.
    public var dataschemas: [String: String]

    public init(source: String, dataschemas: [String: String] = EventCodec.newestSchemas) {
        self.source = source
        self.dataschemas = dataschemas
    }

    /// The `$id`s of the newest versions in contracts/.
    public static let newestSchemas: [String: String] = [
        EventTypes.bookAdded: schemaPrefix + "bookshelf.book.added/v2.schema.json",
        EventTypes.bookFinished: schemaPrefix + "bookshelf.book.finished/v1.schema.json",
    ]

    /// Every `dataschema` a consumer reads, with the event type it must come with.
    public static let readableSchemas: [String: String] = [
        schemaPrefix + "bookshelf.book.added/v1.schema.json": EventTypes.bookAdded,
        schemaPrefix + "bookshelf.book.added/v2.schema.json": EventTypes.bookAdded,
        schemaPrefix + "bookshelf.book.finished/v1.schema.json": EventTypes.bookFinished,
    ]

    static let schemaPrefix = "https://bookshelf.example/contracts/events/"

    public static let contentType = "application/cloudevents+json"

    private struct Envelope<Data: Codable>: Codable {
        var specversion: String
        var id: UUID
        var source: String
        var type: String
        var time: Date
        var datacontenttype: String
        var dataschema: String
        var subject: String?
        var safe: Bool
        var idempotent: Bool
        var data: Data
    }

    /// `book.added` data: the book and, when the client sent one, its `Idempotency-Key`.
    private struct Added: Codable {
        var book: Book
        var idempotencyKey: String?

        init(book: Book, idempotencyKey: String?) {
            self.book = book
            self.idempotencyKey = idempotencyKey
        }

        enum CodingKeys: String, CodingKey { case idempotencyKey }

        init(from decoder: any Decoder) throws {
            book = try Book(from: decoder)
            idempotencyKey = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .idempotencyKey)
        }

        func encode(to encoder: any Encoder) throws {
            try book.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(idempotencyKey, forKey: .idempotencyKey)
        }
    }

    private struct Finished: Codable {
        var id: UUID
    }

    public func encode(_ event: BookEvent) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let schema = dataschemas[event.type] ?? ""
        // Neither event is safe (each changes what views show). Both are idempotent: consumers dedupe by id,
        // and a book finished twice ends up in the same place.
        switch event.kind {
        case .added(let book, let key):
            return Array(try encoder.encode(Envelope(
                specversion: "1.0", id: event.id, source: source, type: event.type, time: event.time,
                datacontenttype: "application/json", dataschema: schema, subject: event.key, safe: false, idempotent: true,
                data: Added(book: book, idempotencyKey: key)
            )))
        case .finished(let bookID):
            return Array(try encoder.encode(Envelope(
                specversion: "1.0", id: event.id, source: source, type: event.type, time: event.time,
                datacontenttype: "application/json", dataschema: schema, subject: event.key, safe: false, idempotent: true,
                data: Finished(id: bookID)
            )))
        }
    }

    public static func decode(_ bytes: some Collection<UInt8>) throws(UnreadableEvent) -> BookEvent {
        do {
            return try JSONDecoder().decode(Incoming.self, from: Data(bytes)).event
        } catch let error as UnreadableEvent {
            throw error
        } catch {
            throw UnreadableEvent(code: "not-a-cloudevent", message: "The record is not a CloudEvents JSON envelope: \(describe(error))")
        }
    }

    /// An event read in one pass over the JSON (replay speed is bounded by decoding): the envelope's
    /// `type` and `dataschema` first, then `data` in the shape that type has.
    private struct Incoming: Decodable {
        var event: BookEvent

        enum Keys: String, CodingKey { case specversion, id, type, time, dataschema, data }

        init(from decoder: any Decoder) throws {
            let envelope: KeyedDecodingContainer<Keys>
            let specversion: String
            let type: String
            let schema: String?
            do {
                envelope = try decoder.container(keyedBy: Keys.self)
                specversion = try envelope.decode(String.self, forKey: .specversion)
                type = try envelope.decode(String.self, forKey: .type)
                schema = try envelope.decodeIfPresent(String.self, forKey: .dataschema)
            } catch {
                throw UnreadableEvent(code: "not-a-cloudevent", message: "The record is not a CloudEvents JSON envelope: \(EventCodec.describe(error))")
            }
            guard specversion == "1.0" else {
                throw UnreadableEvent(code: "unsupported-specversion", message: "CloudEvents specversion '\(specversion)' is not 1.0.")
            }
            guard type == EventTypes.bookAdded || type == EventTypes.bookFinished else {
                throw UnreadableEvent(code: "unknown-type", message: "Event type '\(type)' is not one this consumer reads.")
            }
            if let schema {
                guard let schemaType = readableSchemas[schema] else {
                    throw UnreadableEvent(code: "unknown-dataschema", message: "dataschema '\(schema)' names no version of \(type) this consumer reads.")
                }
                guard schemaType == type else {
                    throw UnreadableEvent(code: "schema-type-mismatch", message: "dataschema '\(schema)' belongs to \(schemaType), not \(type).")
                }
            }
            do {
                let id = try envelope.decode(UUID.self, forKey: .id)
                let text = try envelope.decode(String.self, forKey: .time)
                guard let time = EventCodec.parseTime(text) else {
                    throw DecodingError.dataCorruptedError(forKey: .time, in: envelope, debugDescription: "not RFC 3339")
                }
                if type == EventTypes.bookAdded {
                    let data = try envelope.decode(Added.self, forKey: .data)
                    event = BookEvent(id: id, time: time, kind: .added(data.book, idempotencyKey: data.idempotencyKey))
                } else {
                    event = BookEvent(id: id, time: time, kind: .finished(bookID: try envelope.decode(Finished.self, forKey: .data).id))
                }
            } catch {
                throw UnreadableEvent(code: "invalid-event", message: "The \(type) event does not match its schema: \(EventCodec.describe(error))")
            }
        }
    }

    static func parseTime(_ text: String) -> Date? {
        if text.contains(".") {
            return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }
        return try? Date(text, strategy: Date.ISO8601FormatStyle())
    }

    /// A decoding error as one line naming the JSON path, without Swift type names.
    fileprivate static func describe(_ error: any Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "/\($0)" } ?? "/\($0.stringValue)" }.joined()
            return path.isEmpty ? "/" : path
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?: return "missing '\(key.stringValue)' at \(path(context))"
        case .typeMismatch(_, let context)?: return "wrong type at \(path(context))"
        case .valueNotFound(_, let context)?: return "null at \(path(context))"
        case .dataCorrupted(let context)?: return context.codingPath.isEmpty ? "not valid JSON" : "invalid value at \(path(context))"
        default: return "unreadable"
        }
    }
}
