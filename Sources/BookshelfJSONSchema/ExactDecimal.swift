/// A finite JSON number as an exact decimal, `significand × 10^exponent` with no trailing zeros in the
/// significand, for `multipleOf`: 19.99 is a multiple of 0.01 and 0.30000000000000004 is not, which binary
/// floating point cannot say (19.99 / 0.01 is 1998.9999999999998 in doubles).
///
/// A real is read as the shortest decimal that parses back to the same double (Swift's `description`), so
/// it is the number as written whenever the text had at most 15 significant digits; texts with more digits
/// than a double holds are read as the double they parse to.
package struct ExactDecimal: Sendable, Hashable {
    /// The digits without sign or trailing zeros; 0 only for zero.
    package let significand: UInt64
    package let exponent: Int

    package init(significand: UInt64, exponent: Int) {
        var significand = significand
        var exponent = exponent
        if significand == 0 {
            exponent = 0
        } else {
            while significand % 10 == 0 {
                significand /= 10
                exponent += 1
            }
        }
        self.significand = significand
        self.exponent = exponent
    }

    package init(_ integer: Int) {
        self.init(significand: UInt64(integer.magnitude), exponent: 0)
    }

    /// Nil for infinities and NaN, which JSON has not.
    package init?(_ real: Double) {
        guard real.isFinite else { return nil }
        // `description` is the shortest round-trip form: "19.99", "1e+308", "5e-324", "0.30000000000000004".
        var digits: UInt64 = 0
        var fractionDigits = 0
        var inFraction = false
        var exponent = 0
        var text = real.magnitude.description.utf8[...]
        while let byte = text.first, byte != UInt8(ascii: "e") {
            text = text.dropFirst()
            if byte == UInt8(ascii: ".") {
                inFraction = true
                continue
            }
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            // At most 17 significant digits: the product cannot overflow.
            digits = digits * 10 + UInt64(byte - UInt8(ascii: "0"))
            if inFraction { fractionDigits += 1 }
        }
        if !text.isEmpty {
            guard let value = Int(Substring(text.dropFirst())) else { return nil }
            exponent = value
        }
        self.init(significand: digits, exponent: exponent - fractionDigits)
    }

    /// Whether `self` is an integer multiple of `step` (which is not zero). With `a = A·10^p` and
    /// `b = B·10^q` and neither `A` nor `B` ending in a zero digit: when `p < q`, `a / b` is `A / (B·10^(q-p))`,
    /// which needs a factor 10 that `A` lacks; otherwise it is an integer exactly when `B` divides `A·10^(p-q)`,
    /// which modular arithmetic decides without big numbers, for any exponent a double can have.
    package func isMultiple(of step: ExactDecimal) -> Bool {
        precondition(step.significand != 0, "multipleOf needs a step greater than 0")
        if significand == 0 { return true }
        if exponent < step.exponent { return false }
        let modulus = step.significand
        let scale = Self.power(10, exponent - step.exponent, modulo: modulus)
        return Self.multiply(significand % modulus, scale, modulo: modulus) == 0
    }

    private static func multiply(_ a: UInt64, _ b: UInt64, modulo m: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return m.dividingFullWidth((product.high, product.low)).remainder
    }

    /// `base^exponent mod m` by squaring.
    private static func power(_ base: UInt64, _ exponent: Int, modulo m: UInt64) -> UInt64 {
        var result: UInt64 = 1 % m
        var base = base % m
        var exponent = exponent
        while exponent > 0 {
            if exponent & 1 == 1 { result = multiply(result, base, modulo: m) }
            base = multiply(base, base, modulo: m)
            exponent >>= 1
        }
        return result
    }
}
