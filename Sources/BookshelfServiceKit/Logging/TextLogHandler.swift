import Glibc
import Logging

/// The human-readable log line, laid out as swift-log's `StreamLogHandler` lays it out:
/// `2026-01-31T12:00:00+0000 info label: key=value … [source] message`.
///
/// StreamLogHandler formats its whole metadata afresh whenever one key changes, and Hummingbird and the
/// request-id middleware each set a key on every request; this handler formats only when a line is written,
/// which at the usual levels is rarely.
package struct TextLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    private let label: String

    package init(label: String) {
        self.label = label
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        // One write per line, unbuffered like standard error, so concurrent lines never interleave.
        writeAll(Self.timestamp() + format(event), to: STDERR_FILENO)
    }

    /// The line after its timestamp.
    func format(_ event: LogEvent) -> String {
        var all = metadata
        if let explicit = event.metadata { all.merge(explicit) { _, new in new } }
        if let error = event.error {
            all["error.message"] = .string("\(error)")
            all["error.type"] = .string(String(reflecting: type(of: error)))
        }
        var line = " \(event.level)" + (label.isEmpty ? "" : " ") + label + ":"
        for (key, value) in all.sorted(by: { $0.key < $1.key }) {
            line += " \(key)=\(value)"
        }
        return line + " [\(event.source)] \(event.message)\n"
    }

    private static func timestamp() -> String {
        var now = time(nil)
        var local = tm()
        guard localtime_r(&now, &local) != nil else { return "<unknown>" }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            let length = strftime(buffer.baseAddress!, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress!, count: length), as: UTF8.self)
        }
    }
}
