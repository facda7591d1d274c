import ArgumentParser
import FoundationEssentials

/// The one way a setting is read: its flag when given, else the environment variable `prefix + name` when
/// set and not empty, else the documented default the caller writes after `??`. Modelled on Hummingbird's
/// `Environment.get(_:as:)`, with the flag in front so that a command line is never overridden by a stale
/// variable. A value that does not convert, or that the setting refuses, is a usage error naming the flag or
/// the variable it came from.
///
/// The prefix is the app's, and the kit has none of its own: the Bookshelf app names `BOOKSHELF_` (so `"PORT"`
/// reads `BOOKSHELF_PORT`), the reviews example `REVIEWS_` (`REVIEWS_PORT`), and neither reads the other's.
///
/// ```swift
/// let settings = Settings(prefix: "REVIEWS_")
/// let port = try settings.get("PORT", flag: portFlag, named: "--port",
///                             expected: "a port from 0 to 65535", where: (0...65535).contains) ?? 8090
/// ```
public struct Settings: Sendable {
    public let prefix: String
    public let environment: [String: String]

    public init(prefix: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.prefix = prefix
        self.environment = environment
    }

    /// A text and where it came from: the flag or the variable, as the user wrote it.
    public struct Found: Sendable, Equatable {
        public let text: String
        public let source: String
    }

    /// The variable's full name: `variable("PORT")` is `REVIEWS_PORT` under the prefix `REVIEWS_`.
    public func variable(_ name: String) -> String {
        prefix + name
    }

    /// The flag's text when given, else the variable's; an empty variable counts as unset.
    public func find(_ name: String, flag: String?, named flagName: String) -> Found? {
        if let flag { return Found(text: flag, source: flagName) }
        let variable = variable(name)
        guard let text = environment[variable], !text.isEmpty else { return nil }
        return Found(text: text, source: variable)
    }

    /// The flag's text when given, else the variable's.
    public func text(_ name: String, flag: String? = nil) -> String? {
        find(name, flag: flag, named: "").map(\.text)
    }

    /// The flag's value when given, else the variable's converted by `parse`, else nil (the caller's
    /// `?? default`). A variable `parse` refuses, or a value `isValid` refuses, throws a `ValidationError`
    /// saying which flag or variable held what, and what was expected.
    public func get<Value>(
        _ name: String, flag: Value?, named flagName: String, expected: String,
        parse: (String) -> Value?, where isValid: (Value) -> Bool = { _ in true }
    ) throws(ValidationError) -> Value? {
        let value: Value
        let found: Found
        if let flag {
            (value, found) = (flag, Found(text: "\(flag)", source: flagName))
        } else if let variable = find(name, flag: nil, named: flagName) {
            guard let parsed = parse(variable.text) else { throw Self.refusal(variable, expected: expected) }
            (value, found) = (parsed, variable)
        } else {
            return nil
        }
        guard isValid(value) else { throw Self.refusal(found, expected: expected) }
        return value
    }

    /// ``get(_:flag:named:expected:parse:where:)`` for the types that convert from their text themselves
    /// (`Int`, `Double`, `String`, …).
    public func get<Value: LosslessStringConvertible>(
        _ name: String, flag: Value?, named flagName: String, expected: String, where isValid: (Value) -> Bool = { _ in true }
    ) throws(ValidationError) -> Value? {
        try get(name, flag: flag, named: flagName, expected: expected, parse: Value.init, where: isValid)
    }

    private static func refusal(_ found: Found, expected: String) -> ValidationError {
        ValidationError("\(found.source) is '\(found.text)', not \(expected)")
    }
}
