import CJansson

extension JSONValue {
    /// The string's contents, or nil when this is not a string.
    public var string: String? {
        guard raw.pointee.type == JSON_STRING else { return nil }
        return String(decoding: utf8Buffer, as: UTF8.self)
    }

    /// Calls `body` with the string's UTF-8 bytes without copying them, or returns nil when this
    /// is not a string.
    public func withUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        guard raw.pointee.type == JSON_STRING else { return nil }
        return try body(utf8Buffer)
    }

    var utf8Buffer: UnsafeBufferPointer<UInt8> {
        let length = json_string_length(raw)
        return json_string_value(raw)!.withMemoryRebound(to: UInt8.self, capacity: length) {
            UnsafeBufferPointer(start: $0, count: length)
        }
    }

    /// The number as an `Int` when it is an integer that fits (`3` and `3.0` both give 3).
    public var int: Int? {
        switch raw.pointee.type {
        case JSON_INTEGER:
            return Int(json_integer_value(raw))
        case JSON_REAL:
            return Int(exactly: json_real_value(raw))
        default:
            return nil
        }
    }

    /// Any number as a `Double` (large integers may round).
    public var double: Double? {
        switch raw.pointee.type {
        case JSON_INTEGER: Double(json_integer_value(raw))
        case JSON_REAL: json_real_value(raw)
        default: nil
        }
    }

    /// The number as jansson stored it: an exact integer or a double.
    public var number: JSONNumber? {
        switch raw.pointee.type {
        case JSON_INTEGER: .integer(Int(json_integer_value(raw)))
        case JSON_REAL: .real(json_real_value(raw))
        default: nil
        }
    }

    public var bool: Bool? {
        switch raw.pointee.type {
        case JSON_TRUE: true
        case JSON_FALSE: false
        default: nil
        }
    }

    /// The number of members of an object or elements of an array; 0 for anything else.
    public var count: Int {
        switch raw.pointee.type {
        case JSON_OBJECT: json_object_size(raw)
        case JSON_ARRAY: json_array_size(raw)
        default: 0
        }
    }

    /// The member named `key` of an object; nil when absent or when this is not an object.
    public subscript(key: String) -> JSONValue? {
        guard raw.pointee.type == JSON_OBJECT else { return nil }
        let child = key.withCString { json_object_getn(raw, $0, key.utf8.count) }
        return child.map { JSONValue(borrowing: $0, from: self) }
    }

    /// The element at `index` of an array; nil when out of bounds or when this is not an array.
    public subscript(index: Int) -> JSONValue? {
        guard raw.pointee.type == JSON_ARRAY, index >= 0, index < json_array_size(raw) else { return nil }
        return JSONValue(borrowing: json_array_get(raw, index), from: self)
    }

    /// An object's members in document order; empty when this is not an object.
    public var members: Members { Members(object: self) }

    /// Calls `body` with each member of an object, in document order: its key as UTF-8 bytes and its node,
    /// both valid only during the call. For a decoder that matches known names without a `String` per key or a
    /// value (a retain and a release) per member. Does nothing when this is not an object.
    package func forEachMemberNode(_ body: (_ key: UnsafeBufferPointer<UInt8>, _ node: UnsafeMutablePointer<json_t>) -> Void) {
        guard isObject else { return }
        var cursor = json_object_iter(raw)
        while let current = cursor {
            let key = UnsafeRawPointer(json_object_iter_key(current)!).assumingMemoryBound(to: UInt8.self)
            body(UnsafeBufferPointer(start: key, count: json_object_iter_key_len(current)), json_object_iter_value(current))
            cursor = json_object_iter_next(raw, current)
        }
    }

    /// An object's member names in document order; empty when this is not an object.
    public var keys: [String] { members.map(\.key) }

    /// An array's elements; empty when this is not an array.
    public var elements: Elements { Elements(array: self) }

    public struct Members: Sequence, Sendable {
        let object: JSONValue

        public func makeIterator() -> Iterator {
            Iterator(object: object)
        }

        public struct Iterator: IteratorProtocol {
            let object: JSONValue
            var cursor: UnsafeMutableRawPointer?

            init(object: JSONValue) {
                self.object = object
                self.cursor = object.isObject ? json_object_iter(object.raw) : nil
            }

            public mutating func next() -> (key: String, value: JSONValue)? {
                guard let current = cursor else { return nil }
                cursor = json_object_iter_next(object.raw, current)
                let length = json_object_iter_key_len(current)
                let key = json_object_iter_key(current)!.withMemoryRebound(to: UInt8.self, capacity: length) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                }
                return (key, JSONValue(borrowing: json_object_iter_value(current), from: object))
            }
        }
    }

    public struct Elements: RandomAccessCollection, Sendable {
        let array: JSONValue

        public var startIndex: Int { 0 }
        public var endIndex: Int { array.isArray ? json_array_size(array.raw) : 0 }

        public subscript(position: Int) -> JSONValue {
            precondition(position >= 0 && position < endIndex, "JSON array index out of range")
            return JSONValue(borrowing: json_array_get(array.raw, position), from: array)
        }
    }
}

/// A JSON number as stored: integers stay exact, everything else is a double.
public enum JSONNumber: Sendable {
    case integer(Int)
    case real(Double)
}
