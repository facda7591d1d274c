import CJansson

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
        if lhs.raw == rhs.raw { return true }
        let (a, b) = (lhs.raw.pointee.type, rhs.raw.pointee.type)
        switch a {
        case JSON_INTEGER, JSON_REAL:
            guard let x = lhs.number, let y = rhs.number else { return false }
            return x == y
        case JSON_STRING:
            guard b == JSON_STRING else { return false }
            let (x, y) = (lhs.utf8Buffer, rhs.utf8Buffer)
            return x.elementsEqual(y)
        case JSON_ARRAY:
            guard b == JSON_ARRAY, lhs.count == rhs.count else { return false }
            return zip(lhs.elements, rhs.elements).allSatisfy { $0 == $1 }
        case JSON_OBJECT:
            guard b == JSON_OBJECT, lhs.count == rhs.count else { return false }
            var cursor = json_object_iter(lhs.raw)
            while let current = cursor {
                let other = json_object_getn(rhs.raw, json_object_iter_key(current), json_object_iter_key_len(current))
                guard let other else { return false }
                guard JSONValue(borrowing: json_object_iter_value(current), from: lhs)
                        == JSONValue(borrowing: other, from: rhs) else { return false }
                cursor = json_object_iter_next(lhs.raw, current)
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
