import BookshelfServiceKit
import Glibc

/// A line on standard error, written with write(2) at once: the scripts read the figures on standard output.
func printError(_ message: String) {
    writeAll(message + "\n", to: STDERR_FILENO)
}
