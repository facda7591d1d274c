import BookshelfJSON
import BookshelfContracts
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a record could not become an event: the reason a dead letter carries.
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

/// CloudEvents 1.0 JSON structured mode for a service's own events. Which types it reads and writes, and
/// which versions of each, come from the contracts folder (`events/<type>/v<N>.schema.json`): producers
/// write the newest version of a type, and decoding accepts every version of every type the folder
/// describes and refuses anything else with a reason instead of crashing. Both ways, every event is
/// checked against the contracts (the envelope, and `data` against the schema its `dataschema` names) by
/// the same validator other teams' tools agree with: nothing leaves that the contracts refuse, and nothing
/// is applied that they refuse.
public struct EventCodec<Event: ServiceEvent>: Sendable {
    /// Everything of the codec that does not depend on `Event`, compiled once in this module. What does
    /// (the event's fields going in, `Event`'s initializer coming out) is inlinable, so it is compiled where
    /// the event type is known: a projection's or a producer's module calls the event's own code directly,
    /// not through the protocol's witnesses with generic copies around each call.
    @usableFromInline let envelopes: EnvelopeCodec

    /// The CloudEvents `source` of what this codec writes, e.g. `/bookshelf/new-book`; empty for a codec
    /// that only reads.
    public var source: String { envelopes.source }
    /// What every event written and read is checked against.
    public var contracts: ContractRegistry { envelopes.contracts }
    /// The event types the contracts describe, sorted: what this codec reads. Counting by index into this
    /// (see `decodeCounted`) needs no hashing of type names.
    public var types: [String] { envelopes.types }

    /// A codec that writes events from `source` and reads every event the contracts describe.
    public init(source: String, contracts: ContractRegistry) {
        envelopes = EnvelopeCodec(source: source, contracts: contracts)
    }

    /// A codec that only reads (a projection's): writing needs a `source`.
    public init(contracts: ContractRegistry) {
        self.init(source: "", contracts: contracts)
    }

    /// The `dataschema` this codec writes for `type`: the `$id` of its newest version; nil for a type the
    /// contracts do not describe.
    public func dataschema(of type: String) -> String? {
        envelopes.newestSchemas[type]
    }

    /// Builds the event as a JSON tree, checks that tree against its contract, then writes it with sorted
    /// keys: one tree per event, validated as built instead of written, parsed back and validated. Ids are
    /// written in the canonical lower-case form the contracts require.
    @inlinable
    public func encode(_ event: Event) throws(EventContractViolation) -> [UInt8] {
        try envelopes.write(
            id: event.id, time: event.time, type: event.type, key: event.key, isSafe: event.isSafe,
            isIdempotent: event.isIdempotent, data: { event.data() }
        )
    }

    /// The record to publish for `event`: its key, its encoded envelope and its type.
    @inlinable
    public func record(_ event: Event) throws(EventContractViolation) -> OutgoingRecord {
        OutgoingRecord(key: event.key, value: try encode(event), type: event.type)
    }

    /// Reads an event: parsed with jansson, checked against `contracts`, then handed to `Event`'s
    /// initializer. Anything unreadable is refused with a reason naming the JSON pointer.
    @inlinable
    public func decode(_ bytes: some Collection<UInt8>) throws(UnreadableEvent) -> Event {
        try decodeCounted(bytes).event
    }

    /// An event as a batch decodes it: the event and the index in `types` of its type (what a projection host
    /// counts by), or why the record cannot be read.
    public typealias Decoded = Result<(event: Event, type: Int), UnreadableEvent>

    /// `decode`, with the index in `types` of the event's type.
    @inlinable
    package func decodeCounted(_ bytes: some Collection<UInt8>) throws(UnreadableEvent) -> (event: Event, type: Int) {
        let read = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(UnreadableEvent) in try envelopes.read(UnsafeRawBufferPointer(buffer)) }
        }
        let envelope = try (read ?? Array(bytes).withUnsafeBytes { buffer in
            Result { () throws(UnreadableEvent) in try envelopes.read(buffer) }
        }).get()
        return (try Event(id: envelope.id, time: envelope.time, type: envelope.typeName, data: envelope.data), envelope.type)
    }
}

/// The part of `EventCodec` that does not depend on the event type: the envelope, written and read.
@usableFromInline
struct EnvelopeCodec: Sendable {
    let source: String
    let contracts: ContractRegistry
    let types: [String]
    /// The `dataschema` written per event type: the `$id` of its newest version.
    let newestSchemas: [String: String]
    /// Every `dataschema` read, with the index in `types` of the type it must come with.
    let readableSchemas: [(id: String, type: Int)]

    init(source: String, contracts: ContractRegistry) {
        self.source = source
        self.contracts = contracts
        types = contracts.eventTypes
        newestSchemas = Dictionary(uniqueKeysWithValues: types.compactMap { type in contracts.newestVersion(of: type).map { (type, $0.id) } })
        readableSchemas = types.enumerated().flatMap { index, type in contracts.versions(of: type).map { (id: $0.id, type: index) } }
    }

    /// An envelope as decoding reads it, before the event's type reads `data`.
    @usableFromInline
    struct Envelope {
        @usableFromInline let id: UUID
        @usableFromInline let time: Date
        /// The index in `types` of the event's type, and that type.
        @usableFromInline let type: Int
        @usableFromInline let typeName: String
        /// Keeps the parsed document alive while the event's type reads it.
        @usableFromInline let data: JSONValue
    }

    /// Writes an event's envelope around the `data` it builds; see `EventCodec.encode`.
    @usableFromInline
    func write(
        id: UUID, time: Date, type: String, key: String, isSafe: Bool, isIdempotent: Bool, data: () -> JSONValue
    ) throws(EventContractViolation) -> [UInt8] {
        guard let dataschema = newestSchemas[type] else {
            throw EventContractViolation(message: "No contract in \(contracts.folder) describes the event type \(type) this service built; nothing was produced.")
        }
        guard !source.isEmpty else {
            throw EventContractViolation(message: "This EventCodec was made for reading (no source); make it with init(source:contracts:) to write \(type) events.")
        }
        // The tree lives only until its text is written.
        return try JSONValue.withShortLivedNodes { () throws(EventContractViolation) in
            let envelope = JSONValue.object([
                ("specversion", "1.0"), ("id", .string(id.lowercaseText)), ("source", .string(source)),
                ("type", .string(type)), ("time", .string(CloudEvent.timestamp(time))),
                ("datacontenttype", "application/json"), ("dataschema", .string(dataschema)),
                ("subject", .string(key)), ("safe", .bool(isSafe)), ("idempotent", .bool(isIdempotent)),
                ("data", data()),
            ])
            if let first = contracts.violations(ofEvent: envelope).first {
                throw EventContractViolation(message: "The \(type) event this service built violates its contract (\(first)); nothing was produced.")
            }
            return envelope.serializedBytes(sortedKeys: true)
        }
    }

    /// Parses the record, checks it against the contracts and reads its envelope attributes; see
    /// `EventCodec.decode`.
    @usableFromInline
    func read(_ bytes: UnsafeRawBufferPointer) throws(UnreadableEvent) -> Envelope {
        let root: JSONValue
        do {
            // Nothing of the document outlives the decoding: what is kept is read into Swift values.
            root = try JSONValue(parsing: bytes, placement: .shortLived)
        } catch {
            throw UnreadableEvent(code: "not-a-cloudevent", message: "The record is not JSON: \(error.message).")
        }
        // Identifiers are read from jansson's bytes in place: a `String` for each would cost an allocation
        // per attribute per event, and a replay reads half a million events.
        guard root.isObject, let specversion = root["specversion"], specversion.isString, let typeValue = root["type"],
              typeValue.isString else {
            throw UnreadableEvent(code: "not-a-cloudevent", message: "The record is not a CloudEvents JSON envelope: it needs string members specversion and type.")
        }
        guard specversion.withUTF8({ EnvelopeText.equal($0, "1.0") }) == true else {
            throw UnreadableEvent(code: "unsupported-specversion", message: "CloudEvents specversion '\(specversion.string ?? "")' is not 1.0.")
        }
        // The type and the schema are looked up in closures that capture one table each: a method of this
        // codec passed by name would capture a copy of the whole codec, in a context allocated per call.
        guard let typeIndex = typeValue.withUTF8({ bytes in types.firstIndex { EnvelopeText.equal(bytes, $0) } }) ?? nil else {
            throw UnreadableEvent(code: "unknown-type", message: "Event type '\(typeValue.string ?? "")' is not one this consumer reads.")
        }
        let type = types[typeIndex]
        if let schema = root["dataschema"], schema.isString {
            guard let schemaType = schema.withUTF8({ bytes in readableSchemas.first { EnvelopeText.equal(bytes, $0.id) }?.type }) ?? nil else {
                throw UnreadableEvent(code: "unknown-dataschema", message: "dataschema '\(schema.string ?? "")' names no version of \(type) this consumer reads.")
            }
            guard schemaType == typeIndex else {
                throw UnreadableEvent(code: "schema-type-mismatch", message: "dataschema '\(schema.string ?? "")' belongs to \(types[schemaType]), not \(type).")
            }
        }
        func invalid(_ pointer: String, _ what: String) -> UnreadableEvent {
            UnreadableEvent(code: "invalid-event", message: "The \(type) event does not match its schema: \(pointer) \(what).")
        }
        if let first = contracts.violations(ofEvent: root).first {
            throw UnreadableEvent(code: "invalid-event", message: "The \(type) event violates its contract: \(first).")
        }
        guard let id = root["id"]?.withUTF8(UUID.init(utf8:)) ?? nil else { throw invalid("/id", "must be a UUID") }
        guard let time = root["time"]?.withUTF8(EnvelopeText.parseTime) ?? nil else { throw invalid("/time", "must be an RFC 3339 time") }
        guard let data = root["data"], data.isObject else { throw invalid("/data", "must be an object") }
        return Envelope(id: id, time: time, type: typeIndex, typeName: type, data: data)
    }
}

/// Envelope attributes read from jansson's bytes in place.
package enum EnvelopeText {
    package static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ text: String) -> Bool {
        let utf8 = text.utf8
        guard utf8.count == bytes.count else { return false }
        // Native strings (every one read from the contracts) hold their UTF-8 contiguously.
        return utf8.withContiguousStorageIfAvailable { text in
            bytes.isEmpty || memcmp(text.baseAddress!, bytes.baseAddress!, bytes.count) == 0
        } ?? utf8.elementsEqual(bytes)
    }

    /// RFC 3339 as the envelope schema allows it (`2026-11-26T09:15:00.123Z`, `…+01:00`), parsed by hand:
    /// the Foundation parsers cost more than the rest of an event.
    package static func parseTime(_ text: String) -> Date? {
        var text = text
        return text.withUTF8(parseTime)
    }

    package static func parseTime(_ bytes: UnsafeBufferPointer<UInt8>) -> Date? {
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
