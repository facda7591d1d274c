import ArgumentParser
import FoundationEssentials
import Logging

/// How a service writes its logs to standard error.
package enum LogFormat: String, Sendable, CaseIterable, ExpressibleByArgument {
    /// One human-readable line per entry.
    case text
    /// One JSON object per line, for log shippers.
    case json

    /// Installs the process-wide log handler. swift-log allows this once per process, so only the
    /// executable calls it; tests keep the default handler.
    package static func bootstrap(_ format: LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler
            switch format {
            case .text: handler = TextLogHandler(label: label)
            case .json: handler = JSONLinesLogHandler(label: label, sink: .standardError)
            }
            handler.logLevel = level
            return handler
        }
    }
}
