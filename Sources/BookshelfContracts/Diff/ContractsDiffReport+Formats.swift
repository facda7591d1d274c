import BookshelfJSON

extension ContractsDiffReport {
    public enum Format: String, Sendable, CaseIterable {
        case text, json, junit, github, markdown
    }

    /// The report as `format`; `folder` prefixes file names (a path from the repository root,
    /// so that annotations land on the right file).
    public func rendered(_ format: Format, folder: String) -> String {
        let prefix = folder.isEmpty || folder == "." ? "" : (folder.hasSuffix("/") ? folder : folder + "/")
        switch format {
        case .text: return text(prefix)
        case .json: return json(prefix).serialized() + "\n"
        case .junit: return junit(prefix)
        case .github: return github(prefix)
        case .markdown: return markdown(prefix)
        }
    }

    private var summary: String {
        let notices = findings.count - breaking.count
        return "contracts diff against \(base): \(breaking.count) breaking, \(notices) notice(s)"
    }

    private func text(_ prefix: String) -> String {
        findings.map { "\($0.isBreaking ? "breaking" : "notice") \($0.rule.rawValue) \(prefix)\($0.file):\($0.line): \($0.message)\n" }.joined()
            + summary + "\n"
    }

    private func json(_ prefix: String) -> JSONValue {
        [
            "base": .string(base), "breaking": .bool(isBreaking),
            "findings": .array(findings.map { finding in
                .object(finding.json.members.map { ($0.key, $0.key == "file" ? .string(prefix + finding.file) : $0.value) })
            }),
        ]
    }

    /// GitHub Actions workflow commands: an error per breaking finding, a notice per other.
    private func github(_ prefix: String) -> String {
        findings.map { finding in
            let level = finding.isBreaking ? "error" : "notice"
            let properties = "file=\(Self.escapeProperty(prefix + finding.file)),line=\(finding.line),title=\(Self.escapeProperty("contracts: " + finding.rule.rawValue))"
            return "::\(level) \(properties)::\(Self.escapeData(finding.message))\n"
        }.joined() + summary + "\n"
    }

    static func escapeData(_ text: String) -> String {
        text.replacing("%", with: "%25").replacing("\r", with: "%0D").replacing("\n", with: "%0A")
    }

    static func escapeProperty(_ text: String) -> String {
        escapeData(text).replacing(":", with: "%3A").replacing(",", with: "%2C")
    }

    /// JUnit XML: one test case per finding (breaking ones fail), or one passing case when clean.
    private func junit(_ prefix: String) -> String {
        var cases: [String] = []
        for finding in findings {
            let name = Self.xml("\(finding.rule.rawValue) \(prefix)\(finding.file):\(finding.line)")
            if finding.isBreaking {
                cases.append("    <testcase classname=\"contracts.diff\" name=\"\(name)\"><failure message=\"\(Self.xml(finding.message))\" type=\"\(finding.rule.rawValue)\"/></testcase>")
            } else {
                cases.append("    <testcase classname=\"contracts.diff\" name=\"\(name)\"><system-out>\(Self.xml(finding.message))</system-out></testcase>")
            }
        }
        if cases.isEmpty {
            cases.append("    <testcase classname=\"contracts.diff\" name=\"\(Self.xml("contracts against " + base))\"/>")
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites>
              <testsuite name="contracts diff against \(Self.xml(base))" tests="\(cases.count)" failures="\(breaking.count)" errors="0">
            \(cases.joined(separator: "\n"))
              </testsuite>
            </testsuites>

            """
    }

    static func xml(_ text: String) -> String {
        text.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;")
            .replacing("\"", with: "&quot;").replacing("'", with: "&apos;")
    }

    /// A pull-request comment: a verdict line and a table.
    private func markdown(_ prefix: String) -> String {
        var lines = ["### Contracts against `\(base)`: " + (isBreaking ? "**\(breaking.count) breaking change(s)**" : "no breaking change"), ""]
        if !findings.isEmpty {
            lines += ["| | rule | where | what |", "|---|---|---|---|"]
            for finding in findings {
                let cell = Self.markdownCell(finding.message)
                lines.append("| \(finding.isBreaking ? "❌" : "ℹ️") | `\(finding.rule.rawValue)` | `\(prefix)\(finding.file):\(finding.line)` | \(cell) |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func markdownCell(_ text: String) -> String {
        text.replacing("|", with: "\\|").replacing("\n", with: "<br>")
    }
}
