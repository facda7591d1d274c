import Glibc
import BookshelfServiceKit

/// Standard output and standard error, written with write(2) directly (see `writeAll`): no stdio
/// buffering between a line and a pipe that another process reads.
enum StandardStream {
    case output, error

    func write(_ text: String) {
        writeAll(text, to: self == .output ? STDOUT_FILENO : STDERR_FILENO)
    }

    func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeAll($0, to: self == .output ? STDOUT_FILENO : STDERR_FILENO) }
    }
}

func printError(_ message: String) {
    StandardStream.error.write(message + "\n")
}
