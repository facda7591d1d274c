import BookshelfJSON
import FoundationEssentials

/// A Bookshelf event: a CloudEvents 1.0 event in JSON structured mode, as
/// `contracts/cloudevents/envelope.schema.json` defines it.
///
/// Build one with `init(...)`, encode it with `json` or `serializedBytes()`, decode one with
/// `init(json:)`; `ContractRegistry.validate(_:)` checks it against the envelope and the data
/// schema its `dataschema` names.
public struct CloudEvent: Sendable, Hashable {
    public static let specversion = "1.0"
    /// The Kafka `content-type` header (and HTTP `Content-Type`) of a structured-mode event.
    public static let mediaType = "application/cloudevents+json"

    /// A lowercase UUID, unique per event.
    public var id: String
    /// The producing service, e.g. `/bookshelf/new-book`.
    public var source: String
    /// e.g. `bookshelf.book.added`.
    public var type: String
    /// RFC 3339, e.g. `2026-11-26T09:15:00.123Z`.
    public var time: String
    public var datacontenttype: String
    /// The `$id` of the data schema version `data` follows.
    public var dataschema: String
    /// The book the event is about (the record key), when set.
    public var subject: String?
    /// Extension attribute: handling the event has no side effect outside the consumer's state.
    public var safe: Bool
    /// Extension attribute: handling the event twice has the same effect as once.
    public var idempotent: Bool
    public var data: JSONValue

    public init(
        id: String = CloudEvent.newID(),
        source: String,
        type: String,
        time: String = CloudEvent.timestamp(Date()),
        datacontenttype: String = "application/json",
        dataschema: String,
        subject: String? = nil,
        safe: Bool = false,
        idempotent: Bool = true,
        data: JSONValue
    ) {
        self.id = id
        self.source = source
        self.type = type
        self.time = time
        self.datacontenttype = datacontenttype
        self.dataschema = dataschema
        self.subject = subject
        self.safe = safe
        self.idempotent = idempotent
        self.data = data
    }

    /// A new event id in the canonical lowercase form the envelope requires.
    public static func newID() -> String {
        UUID().uuidString.lowercased()
    }

    /// `date` in RFC 3339 UTC with milliseconds, as the envelope's `time` wants it.
    public static func timestamp(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = milliseconds.quotientAndRemainder(dividingBy: 1000)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second],
                                            from: Date(timeIntervalSince1970: TimeInterval(seconds.quotient)))
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))T"
            + "\(pad(parts.hour, 2)):\(pad(parts.minute, 2)):\(pad(parts.second, 2)).\(pad(Int(seconds.remainder), 3))Z"
    }

    /// The event as its JSON object, attributes in the envelope's order.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("specversion", .string(Self.specversion)),
            ("id", .string(id)),
            ("source", .string(source)),
            ("type", .string(type)),
            ("time", .string(time)),
            ("datacontenttype", .string(datacontenttype)),
            ("dataschema", .string(dataschema)),
        ]
        if let subject { members.append(("subject", .string(subject))) }
        members += [("safe", .bool(safe)), ("idempotent", .bool(idempotent)), ("data", data)]
        return .object(members)
    }

    /// The record value: the compact JSON text of `json`, UTF-8.
    public func serializedBytes() -> [UInt8] {
        json.serializedBytes()
    }

    /// Decodes the attributes of a structured-mode event. It checks shapes only (the attributes
    /// exist with the right JSON types); `ContractRegistry.validate` checks the contract.
    public init(json: JSONValue) throws(ContractError) {
        func violation(_ name: String, _ problem: String) -> ContractError {
            ContractError(
                code: .contractViolation,
                message: "not a Bookshelf CloudEvent: \(problem)",
                violations: [ContractViolation(instanceLocation: name.isEmpty ? "" : "/" + name, keywordLocation: "", message: problem)]
            )
        }
        guard json.isObject else { throw violation("", "an event is a JSON object, not \(json.kind.rawValue)") }
        func string(_ name: String) throws(ContractError) -> String {
            guard let value = json[name] else { throw violation(name, "attribute \"\(name)\" is missing") }
            guard let text = value.string else { throw violation(name, "attribute \"\(name)\" must be a string") }
            return text
        }
        func bool(_ name: String) throws(ContractError) -> Bool {
            guard let value = json[name] else { throw violation(name, "attribute \"\(name)\" is missing") }
            guard let flag = value.bool else { throw violation(name, "attribute \"\(name)\" must be true or false") }
            return flag
        }
        let specversion = try string("specversion")
        guard specversion == Self.specversion else {
            throw violation("specversion", "specversion \"\(specversion)\" is not \(Self.specversion)")
        }
        guard let data = json["data"] else { throw violation("data", "attribute \"data\" is missing") }
        self.init(
            id: try string("id"),
            source: try string("source"),
            type: try string("type"),
            time: try string("time"),
            datacontenttype: try string("datacontenttype"),
            dataschema: try string("dataschema"),
            subject: json["subject"] == nil ? nil : try string("subject"),
            safe: try bool("safe"),
            idempotent: try bool("idempotent"),
            data: data
        )
    }
}
