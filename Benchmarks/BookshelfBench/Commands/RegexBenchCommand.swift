import ArgumentParser
import BookshelfJSONSchema

/// `bookshelf-bench regex`: the contracts' `pattern` regexes on our ECMA-262 engine beside
/// Swift's own Regex (_StringProcessing, no Foundation), same inputs, same run: ns per match and ratio.
struct RegexBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "regex",
        abstract: "Time the pattern engine against Swift Regex on the contracts' patterns."
    )

    @Option(name: .long, help: "Matches per input and engine in one pass.")
    var iterations = 100_000

    @Option(name: .long, help: "Passes; the best pass of each engine is reported.")
    var rounds = 3

    /// Each pattern as `contracts/` spells it, with an input it accepts and one it rejects.
    static let cases: [(name: String, pattern: String, inputs: [String])] = [
        ("uuid", #"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?!\n)$"#,
         ["3f2b8c1e-9d4a-4b7e-8f10-2a6c5d9e0b71", "3f2b8c1e-9d4a-4b7e-8f10-2a6c5d9e0B71"]),
        ("rfc3339", #"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])(?!\n)$"#,
         ["2026-11-26T17:29:42.123Z", "2026-11-26 17:29:42Z"]),
        ("isbn", #"^([0-9]{9}[0-9X]|97[89][0-9]{10})(?!\n)$"#, ["9780804429573", "978080442957"]),
        ("printable", #"^[!-~]+(?!\n)$"#, ["bookshelf.book.added", "bookshelf book added"]),
        ("not-blank", #"[^ \t\r\n]"#, ["   The Left Hand of Darkness", " \t  \r\n   "]),
        ("position", #"^(0|[1-9][0-9]{0,18})(?!\n)$"#, ["1732641782123", "01732641782123"]),
        ("host", #"^[a-z0-9][a-z0-9.-]*(?!\n)$"#, ["new-book.bookshelf.svc", "New-Book.bookshelf.svc"]),
        ("unicode", #"^\p{L}[\p{L}\p{M} .'-]*$"#, ["Ψυχή und Łódź", "Ψυχή 2"]),
    ]

    func run() throws {
        print("pattern     input                                     ours ns   Swift Regex ns   ratio")
        var ratios: [Double] = []
        for entry in Self.cases {
            let ours: ECMARegex
            do {
                ours = try ECMARegex(entry.pattern)
            } catch {
                throw ValidationError("\(entry.name): \(error.reason)")
            }
            let theirs = try Regex(entry.pattern)
            for input in entry.inputs {
                let verdict = ours.matches(input)
                guard verdict == input.contains(theirs) else {
                    throw ValidationError("\(entry.name): the engines disagree on \(input.debugDescription)")
                }
                let oursNanoseconds = time(expecting: verdict) { ours.matches(input) }
                let theirsNanoseconds = time(expecting: verdict) { input.contains(theirs) }
                ratios.append(theirsNanoseconds / oursNanoseconds)
                let shown = (verdict ? "+ " : "- ") + input.debugDescription
                print(pad(entry.name, 11), pad(shown, 40), pad(format(oursNanoseconds), 9, right: true),
                      pad(format(theirsNanoseconds), 16, right: true), pad(format(theirsNanoseconds / oursNanoseconds) + "x", 7, right: true))
            }
        }
        print("ours is \(format(ratios.min() ?? 0))x to \(format(ratios.max() ?? 0))x as fast as Swift Regex")
    }

    /// Best CPU nanoseconds per call over the rounds; every call must give the expected verdict.
    private func time(expecting verdict: Bool, _ body: () -> Bool) -> Double {
        var best = Double.infinity
        for _ in 0..<max(1, rounds) {
            var matched = 0
            let start = threadCPUTime()
            for _ in 0..<iterations where body() { matched += 1 }
            best = min(best, (threadCPUTime() - start) * 1e9 / Double(iterations))
            precondition(matched == (verdict ? iterations : 0), "a verdict changed between calls")
        }
        return best
    }

    private func format(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}
