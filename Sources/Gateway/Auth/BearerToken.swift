/// Write protection: with a token configured, requests that change state need `Authorization: Bearer <token>`.
package struct BearerToken: Sendable {
    private let expected: [UInt8]

    package init(_ token: String) {
        expected = Array(token.utf8)
    }

    package static func protects(method: String) -> Bool {
        switch method {
        case "GET", "HEAD", "OPTIONS": false
        default: true
        }
    }

    /// Compares in time that depends only on the lengths, so response timing does not reveal how many
    /// leading characters of a guess were right.
    package func accepts(authorization: String?) -> Bool {
        guard let authorization else { return false }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return false }
        let given = Array(parts[1].utf8)
        var difference = UInt8(truncatingIfNeeded: given.count ^ expected.count)
        for index in 0..<expected.count {
            let byte = index < given.count ? given[index] : 0
            difference |= byte ^ expected[index]
        }
        return difference == 0 && given.count == expected.count
    }
}
