import BookshelfJSON
import CJansson
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    ///
    /// A random (version 4) UUID from the system's generator (getrandom): Foundation's `UUID()` on Linux
    /// opens and reads /dev/urandom for every id, which cost a producer more than encoding the event.
    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return UUID(version4: generator.next(), generator.next()).lowercaseText
    }

    /// `date` in RFC 3339 UTC with milliseconds, as the envelope's `time` wants it.
    public static func timestamp(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        // Floor division, so that instants before 1970 land on the right day.
        let (days, millisecondOfDay) = floorDivision(milliseconds, 86_400_000)
        let (year, month, day) = civilDate(daysSince1970: days)
        let seconds = millisecondOfDay / 1000
        if (0...9999).contains(year) {
            // Digits written in place (every producer stamps every event): "YYYY-MM-DDTHH:MM:SS.mmmZ".
            return String(unsafeUninitializedCapacity: 24) { text in
                func put(_ value: Int64, _ width: Int, at end: Int) {
                    var value = value
                    for index in stride(from: end - 1, through: end - width, by: -1) {
                        text[index] = UInt8(truncatingIfNeeded: 48 + value % 10)
                        value /= 10
                    }
                }
                (text[4], text[7], text[10]) = (UInt8(ascii: "-"), UInt8(ascii: "-"), UInt8(ascii: "T"))
                (text[13], text[16], text[19], text[23]) = (UInt8(ascii: ":"), UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "Z"))
                put(year, 4, at: 4)
                put(month, 2, at: 7)
                put(day, 2, at: 10)
                put(seconds / 3600, 2, at: 13)
                put(seconds / 60 % 60, 2, at: 16)
                put(seconds % 60, 2, at: 19)
                put(millisecondOfDay % 1000, 3, at: 23)
                return 24
            }
        }
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
            + "\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2)).\(pad(millisecondOfDay % 1000, 3))Z"
    }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01, by whole 400-year eras (146,097 days
    /// each) counted from 0000-03-01, so that the leap day falls at the end of each counted year.
    private static func civilDate(daysSince1970: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let (era, dayOfEra) = floorDivision(daysSince1970 + 719_468, 146_097)
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The event as its JSON object, attributes in the envelope's order.
    public var json: JSONValue {
        var object = JSONObjectBuilder()
        object.set("specversion", Self.specversion)
        object.set("id", id)
        object.set("source", source)
        object.set("type", type)
        object.set("time", time)
        object.set("datacontenttype", datacontenttype)
        object.set("dataschema", dataschema)
        if let subject { object.set("subject", subject) }
        object.set("safe", safe)
        object.set("idempotent", idempotent)
        object.set("data", data)
        return object.build()
    }

    /// The record value: the compact JSON text of `json`, UTF-8.
    public func serializedBytes() -> [UInt8] {
        json.serializedBytes()
    }

    /// Decodes the attributes of a structured-mode event. It checks shapes only (the attributes
    /// exist with the right JSON types); `ContractRegistry.validate` checks the contract.
    public init(json: JSONValue) throws(ContractError) {
        try self.init(json: json, knownTypes: [], knownDataschemas: [])
    }

    /// `knownTypes` and `knownDataschemas` are `type` and `dataschema` values to take as these very
    /// strings when an event names one of them (a consumer passes its registry's): a type or a `$id` is
    /// too long for a small string, so each copy made from the JSON would cost an allocation.
    init(json: JSONValue, knownTypes: [String], knownDataschemas: [String]) throws(ContractError) {
        func violation(_ name: String, _ problem: String) -> ContractError {
            ContractError(
                code: .contractViolation,
                message: "not a CloudEvent of the contracts: \(problem)",
                violations: [ContractViolation(instanceLocation: name.isEmpty ? "" : "/" + name, keywordLocation: "", message: problem)]
            )
        }
        guard json.isObject else { throw violation("", "an event is a JSON object, not \(json.kind.rawValue)") }
        // One pass over jansson's members, each name matched by its length and bytes: no hash lookup,
        // no `String` per key and no `JSONValue` (a retain and a release) per member. The nodes are only
        // borrowed; `json` keeps them alive.
        var specversion, id, source, type, time, datacontenttype, dataschema, subject, safe, idempotent, data: UnsafeMutablePointer<json_t>?
        json.forEachMemberNode { key, value in
            switch Self.attribute(key) {
            case .specversion: specversion = value
            case .id: id = value
            case .source: source = value
            case .type: type = value
            case .time: time = value
            case .datacontenttype: datacontenttype = value
            case .dataschema: dataschema = value
            case .subject: subject = value
            case .safe: safe = value
            case .idempotent: idempotent = value
            case .data: data = value
            case nil: break
            }
        }
        func string(_ node: UnsafeMutablePointer<json_t>?, _ name: String, known: [String] = []) throws(ContractError) -> String {
            guard let node else { throw violation(name, "attribute \"\(name)\" is missing") }
            guard node.pointee.type == JSON_STRING else { throw violation(name, "attribute \"\(name)\" must be a string") }
            let length = json_string_length(node)
            return json_string_value(node)!.withMemoryRebound(to: UInt8.self, capacity: length) { text in
                let bytes = UnsafeBufferPointer(start: text, count: length)
                return Self.known(bytes, among: known) ?? String(decoding: bytes, as: UTF8.self)
            }
        }
        func bool(_ node: UnsafeMutablePointer<json_t>?, _ name: String) throws(ContractError) -> Bool {
            guard let node else { throw violation(name, "attribute \"\(name)\" is missing") }
            switch node.pointee.type {
            case JSON_TRUE: return true
            case JSON_FALSE: return false
            default: throw violation(name, "attribute \"\(name)\" must be true or false")
            }
        }
        let version = try string(specversion, "specversion", known: [Self.specversion])
        guard version == Self.specversion else {
            throw violation("specversion", "specversion \"\(version)\" is not \(Self.specversion)")
        }
        guard let data else { throw violation("data", "attribute \"data\" is missing") }
        self.init(
            id: try string(id, "id"),
            source: try string(source, "source"),
            type: try string(type, "type", known: knownTypes),
            time: try string(time, "time"),
            datacontenttype: try string(datacontenttype, "datacontenttype", known: Self.knownContentTypes),
            dataschema: try string(dataschema, "dataschema", known: knownDataschemas),
            subject: subject == nil ? nil : try string(subject, "subject"),
            safe: try bool(safe, "safe"),
            idempotent: try bool(idempotent, "idempotent"),
            // Its own reference to the data, so that the envelope's other nodes are freed as soon as the
            // caller drops the document: on the thread that parsed it, whose allocator reuses them at once.
            data: JSONValue(retaining: data)
        )
    }

    /// Attribute values that nearly every event repeats, as the literals they are: taking one costs no
    /// allocation (a String longer than 15 bytes made from the JSON would need one).
    private static let knownContentTypes = ["application/json"]

    private static func known(_ bytes: UnsafeBufferPointer<UInt8>, among candidates: [String]) -> String? {
        for candidate in candidates where candidate.utf8.count == bytes.count {
            let equal = candidate.utf8.withContiguousStorageIfAvailable {
                bytes.isEmpty || memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0
            }
            if equal == true { return candidate }
        }
        return nil
    }

    /// The attributes `init(json:)` reads.
    private enum Attribute {
        case specversion, id, source, type, time, datacontenttype, dataschema, subject, safe, idempotent, data
    }

    /// The attribute a member name is, told apart by its length first: at most two names share one.
    private static func attribute(_ key: UnsafeBufferPointer<UInt8>) -> Attribute? {
        func named(_ name: StaticString) -> Bool {
            name.utf8CodeUnitCount == key.count && memcmp(name.utf8Start, key.baseAddress!, key.count) == 0
        }
        switch key.count {
        case 2: return named("id") ? .id : nil
        case 4:
            if named("type") { return .type }
            if named("time") { return .time }
            if named("data") { return .data }
            return named("safe") ? .safe : nil
        case 6: return named("source") ? .source : nil
        case 7: return named("subject") ? .subject : nil
        case 10:
            if named("dataschema") { return .dataschema }
            return named("idempotent") ? .idempotent : nil
        case 11: return named("specversion") ? .specversion : nil
        case 15: return named("datacontenttype") ? .datacontenttype : nil
        default: return nil
        }
    }
}
