import Glibc

/// Standard output and standard error, written with write(2) directly: whole buffers, retried when a
/// signal interrupts, no stdio buffering between a line and a pipe that another process reads.
enum StandardStream {
    case output, error

    func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    private func write(_ bytes: UnsafeRawBufferPointer) {
        let descriptor = self == .output ? STDOUT_FILENO : STDERR_FILENO
        var rest = bytes
        while !rest.isEmpty {
            let written = Glibc.write(descriptor, rest.baseAddress, rest.count)
            if written < 0 && errno == EINTR { continue }
            // A closed pipe or a full disk leaves nothing useful to do with the rest.
            guard written > 0 else { return }
            rest = UnsafeRawBufferPointer(rebasing: rest[written...])
        }
    }
}

func printError(_ message: String) {
    StandardStream.error.write(message + "\n")
}
