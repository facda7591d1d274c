import Foundation
import Logging
import Synchronization

/// A swift-log handler writing each entry as one JSON object on one line:
/// `{"time":…,"level":…,"label":…,"message":…,"source":…, <metadata>…}`.
public struct JSONLinesLogHandler: LogHandler {
    /// Where the lines go; a sink shared by every handler so concurrent lines never interleave.
    public final class Sink: Sendable {
        private let write: Mutex<@Sendable (String) -> Void>

        public init(_ write: @escaping @Sendable (String) -> Void) {
            self.write = Mutex(write)
        }

        public static let standardError = Sink { line in
            FileHandle.standardError.write(Data(line.utf8))
        }

        func emit(_ line: String) {
            write.withLock { $0(line) }
        }
    }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private let sink: Sink

    public init(label: String, sink: Sink) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: [String: Any] = [:]
        for (key, value) in metadata { object[key] = Self.json(value) }
        for (key, value) in event.metadata ?? [:] { object[key] = Self.json(value) }
        object["time"] = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        object["level"] = event.level.rawValue
        object["label"] = label
        object["message"] = event.message.description
        object["source"] = event.source
        if let error = event.error { object["error"] = String(describing: error) }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        sink.emit(String(decoding: data, as: UTF8.self) + "\n")
    }

    private static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(json)
        case .dictionary(let dictionary): dictionary.mapValues(json)
        }
    }
}
