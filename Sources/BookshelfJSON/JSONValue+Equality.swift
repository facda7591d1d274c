import CJansson
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension JSONNumber: Equatable, Hashable {
    /// Numeric equality: `.integer(1) == .real(1.0)`, and an integer equals a double only when
    /// the double holds exactly that integer (no rounding through `Double`).
    public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
        switch (lhs, rhs) {
        case let (.integer(a), .integer(b)): a == b
        case let (.real(a), .real(b)): a == b
        case let (.integer(a), .real(b)), let (.real(b), .integer(a)): Int(exactly: b) == a
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .integer(let value): hasher.combine(value)
        case .real(let value):
            if let exact = Int(exactly: value) { hasher.combine(exact) } else { hasher.combine(value) }
        }
    }
}

extension JSONValue: Equatable, Hashable {
    /// JSON equality: numbers by value (`1 == 1.0`), objects ignoring member order.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        equal(lhs.raw, rhs.raw)
    }

    /// JSON equality of two jansson nodes (the validator's `const`, `enum` and `uniqueItems`).
    package static func equal(_ lhs: UnsafeMutablePointer<json_t>, _ rhs: UnsafeMutablePointer<json_t>) -> Bool {
        if lhs == rhs { return true }
        let (a, b) = (lhs.pointee.type, rhs.pointee.type)
        switch a {
        case JSON_INTEGER:
            if b == JSON_INTEGER { return json_integer_value(lhs) == json_integer_value(rhs) }
            return b == JSON_REAL && Int(exactly: json_real_value(rhs)) == Int(json_integer_value(lhs))
        case JSON_REAL:
            if b == JSON_REAL { return json_real_value(lhs) == json_real_value(rhs) }
            return b == JSON_INTEGER && Int(exactly: json_real_value(lhs)) == Int(json_integer_value(rhs))
        case JSON_STRING:
            guard b == JSON_STRING else { return false }
            let count = json_string_length(lhs)
            guard count == json_string_length(rhs) else { return false }
            return count == 0 || memcmp(json_string_value(lhs), json_string_value(rhs), count) == 0
        case JSON_ARRAY:
            guard b == JSON_ARRAY else { return false }
            let count = json_array_size(lhs)
            guard count == json_array_size(rhs) else { return false }
            for index in 0..<count where !equal(json_array_get(lhs, index), json_array_get(rhs, index)) {
                return false
            }
            return true
        case JSON_OBJECT:
            guard b == JSON_OBJECT, json_object_size(lhs) == json_object_size(rhs) else { return false }
            var cursor = json_object_iter(lhs)
            while let current = cursor {
                guard let other = json_object_getn(rhs, json_object_iter_key(current), json_object_iter_key_len(current)),
                      equal(json_object_iter_value(current), other) else { return false }
                cursor = json_object_iter_next(lhs, current)
            }
            return true
        default:
            return a == b
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch raw.pointee.type {
        case JSON_INTEGER, JSON_REAL:
            hasher.combine(0 as UInt8)
            hasher.combine(number!)
        case JSON_STRING:
            hasher.combine(1 as UInt8)
            hasher.combine(bytes: UnsafeRawBufferPointer(utf8Buffer))
        case JSON_ARRAY:
            hasher.combine(2 as UInt8)
            hasher.combine(count)
            for element in elements { hasher.combine(element) }
        case JSON_OBJECT:
            hasher.combine(3 as UInt8)
            // Member order does not count, so combine the members' hashes commutatively.
            var sum = 0
            for (key, value) in members {
                var member = Hasher()
                member.combine(key)
                member.combine(value)
                sum &+= member.finalize()
            }
            hasher.combine(sum)
        default:
            hasher.combine(raw.pointee.type.rawValue &+ 4)
        }
    }
}
