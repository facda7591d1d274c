import BookshelfJSON
import FoundationEssentials
import Glibc
import Logging
import Synchronization

/// A swift-log handler writing each entry as one JSON object on one line:
/// `{"time":…,"level":…,"label":…,"message":…,"source":…, <metadata>…}`.
package struct JSONLinesLogHandler: LogHandler {
    /// Where the lines go; a sink shared by every handler so concurrent lines never interleave.
    package final class Sink: Sendable {
        private let write: Mutex<@Sendable (String) -> Void>

        package init(_ write: @escaping @Sendable (String) -> Void) {
            self.write = Mutex(write)
        }

        package static let standardError = Sink { line in writeAll(line, to: STDERR_FILENO) }

        func emit(_ line: String) {
            write.withLock { $0(line) }
        }
    }

    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    private let label: String
    private let sink: Sink

    package init(label: String, sink: Sink) {
        self.label = label
        self.sink = sink
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var members: [String: JSONValue] = [:]
        for (key, value) in metadata { members[key] = Self.json(value) }
        for (key, value) in event.metadata ?? [:] { members[key] = Self.json(value) }
        members["time"] = .string(Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        members["level"] = .string(event.level.rawValue)
        members["label"] = .string(label)
        members["message"] = .string(event.message.description)
        members["source"] = .string(event.source)
        if let error = event.error { members["error"] = .string(String(describing: error)) }
        sink.emit(JSONValue.object(members.map { ($0.key, $0.value) }).serialized(sortedKeys: true) + "\n")
    }

    private static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let string): .string(string)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let dictionary): .object(dictionary.map { ($0.key, json($0.value)) })
        }
    }
}
