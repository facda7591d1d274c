import CRdKafka

/// Extra librdkafka properties for every client the kit creates against a cluster (producers, consumers,
/// the dead-letter producer and history reader): what a real cluster needs, such as SASL, TLS and tuning.
///
/// The text form (`--kafka-config`, or the app's variable such as `BOOKSHELF_KAFKA_CONFIG`) is `name=value`
/// entries. One entry per line when the text has a line break (then commas are part of values; blank lines
/// and lines starting with `#` are skipped); otherwise entries are comma-separated and `\,` is a comma inside
/// a value (`\\` a backslash). An entry splits at its first `=`, so values may contain `=`. Spaces around
/// names and values are dropped. A name given twice is an error.
///
/// The user's properties are applied after the kit's own settings, so they win over the kit's tuning
/// (`linger.ms`, `message.timeout.ms`, `fetch.wait.max.ms`, `client.id`, ...). The properties in
/// ``reserved`` are refused instead: each has another source of truth or carries a guarantee the kit
/// documents.
public struct KafkaProperties: Sendable, Equatable {
    /// The properties by name.
    public private(set) var values: [String: String]

    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    public var isEmpty: Bool { values.isEmpty }

    /// Properties the kit sets itself and the user may not: why, for the error message.
    public static let reserved: [String: String] = [
        "bootstrap.servers": "the brokers come from --broker or the variable it falls back to",
        "metadata.broker.list": "the brokers come from --broker or the variable it falls back to",
        "group.id": "replaying consumers join no group, and the kit names the groups it uses",
        "enable.auto.commit": "consumers commit only what the service has processed",
        "enable.auto.offset.store": "consumers commit only what the service has processed",
        "enable.partition.eof": "the consumers' catch-up tracking relies on it being off",
        "auto.offset.reset": "replaying consumers always read from the beginning",
        "enable.idempotence": "an acknowledged event is in Kafka exactly once: producers are idempotent",
        "acks": "an acknowledged event is on every in-sync replica: producers use acks=all",
        "request.required.acks": "an acknowledged event is on every in-sync replica: producers use acks=all",
    ]

    /// Parses the text form (see the type's documentation). `source` names where the text came from, for
    /// the error message.
    public init(parsing text: String, source: String) throws(KafkaError) {
        let entries: [String]
        if text.contains(where: \.isNewline) {
            entries = text.split(whereSeparator: \.isNewline).map(String.init).filter {
                let trimmed = $0.trimmingBlanks()
                return !trimmed.isEmpty && !trimmed.hasPrefix("#")
            }
        } else {
            entries = try Self.splitAtCommas(text, source: source).filter { !$0.trimmingBlanks().isEmpty }
        }
        var values: [String: String] = [:]
        for entry in entries {
            guard let equals = entry.firstIndex(of: "=") else {
                throw KafkaError(
                    code: .configuration,
                    message: "\(source): '\(entry.trimmingBlanks())' is not name=value (a comma inside a value is written \\, or the properties go one per line)",
                    isRetryable: false)
            }
            let name = String(entry[..<equals]).trimmingBlanks()
            let value = String(entry[entry.index(after: equals)...]).trimmingBlanks()
            guard !name.isEmpty else {
                throw KafkaError(code: .configuration, message: "\(source): an entry has no property name before '='", isRetryable: false)
            }
            if let why = Self.reserved[name] {
                throw KafkaError(code: .configuration, message: "\(source): \(name) cannot be set here: \(why)", isRetryable: false)
            }
            guard values.updateValue(value, forKey: name) == nil else {
                throw KafkaError(code: .configuration, message: "\(source): \(name) is given twice", isRetryable: false)
            }
        }
        self.values = values
    }

    /// Hands every property to librdkafka and creates (then destroys) a client with them, so that a
    /// property librdkafka refuses, or a setting it cannot start with (an unreadable `ssl.ca.location`,
    /// a SASL mechanism it was built without), is found before anything starts. The error names the
    /// property and carries librdkafka's message; values are not repeated, since they may be secrets.
    public func validate(source: String) throws(KafkaError) {
        // Nothing to check, and a client's threads are not free: start-up stays as fast as without.
        guard !values.isEmpty else { return }
        let conf = try RdKafkaClient.configuration(values, source: source)
        var errstr = [CChar](repeating: 0, count: 512)
        // Warnings such as "a consumer property, ignored by this producer" are expected here and not shown.
        rd_kafka_conf_set_log_cb(conf) { _, _, _, _ in }
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(
                code: .configuration, message: "\(source): librdkafka cannot start a client with these properties: \(RdKafkaClient.string(errstr))",
                isRetryable: false)
        }
        rd_kafka_destroy(rk)
    }

    private static func splitAtCommas(_ text: String, source: String) throws(KafkaError) -> [String] {
        var entries: [String] = []
        var current = ""
        var escaped = false
        for character in text {
            if escaped {
                guard character == "," || character == "\\" else {
                    throw KafkaError(
                        code: .configuration, message: "\(source): '\\\(character)' is not an escape; only \\, and \\\\ are", isRetryable: false)
                }
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "," {
                entries.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        guard !escaped else {
            throw KafkaError(code: .configuration, message: "\(source): the text ends in a lone backslash", isRetryable: false)
        }
        entries.append(current)
        return entries
    }
}

/// The librdkafka the process runs on, and the one it was compiled against.
public enum LibRdKafka {
    /// `rd_kafka_version_str()`: the shared library actually loaded.
    public static var version: String { String(cString: rd_kafka_version_str()) }

    /// `RD_KAFKA_VERSION` of the headers the kit was compiled against, as MAJOR.MINOR.REVISION.
    package static var headerVersion: String { text(of: Int(RD_KAFKA_VERSION)) }

    /// Older versions skip one byte too few per tagged field, so any broker that sends tagged fields
    /// (Tansu, for one) fails their first response with "Local: Read underflow" (fixed in 2.2.0).
    public static let minimumVersion = "2.2.0"

    /// Whether the loaded librdkafka is at least ``minimumVersion``.
    public static var isSupported: Bool { (Int(rd_kafka_version()) >> 8) >= 0x0002_0200 }

    /// `bookshelf --version`'s text.
    package static var summary: String {
        "librdkafka \(version) (compiled against \(headerVersion); \(minimumVersion) or newer is required)"
    }

    private static func text(of hex: Int) -> String {
        "\((hex >> 24) & 0xff).\((hex >> 16) & 0xff).\((hex >> 8) & 0xff)"
    }
}

extension String {
    fileprivate func trimmingBlanks() -> String {
        let blanks: Set<Character> = [" ", "\t", "\r"]
        guard let first = firstIndex(where: { !blanks.contains($0) }), let last = lastIndex(where: { !blanks.contains($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
