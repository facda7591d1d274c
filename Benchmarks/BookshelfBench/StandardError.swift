import Glibc

/// Standard error is unbuffered, so a line reaches a script's pipe before the figures on standard output.
func printError(_ message: String) {
    fputs(message + "\n", stderr)
}
