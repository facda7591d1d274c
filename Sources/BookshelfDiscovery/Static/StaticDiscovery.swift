/// Discovery from a fixed list, as `bookshelf up` uses it: `--upstream NAME=URL`, repeatable, a name given
/// twice having two instances. Without any flag the list comes from the app's environment variable (the
/// Bookshelf gateway's `BOOKSHELF_UPSTREAMS`: the app names it), entries separated by commas or whitespace.
public struct StaticDiscovery: ServiceDiscovery {
    public let upstreams: [String: [ServiceInstance]]

    public init(upstreams: [String: [ServiceInstance]]) {
        self.upstreams = upstreams
    }

    /// Flags win over the environment, so a command line is never silently extended by a stale variable.
    /// `environmentVariable` is the app's name for the list (`BOOKSHELF_UPSTREAMS` for the Bookshelf gateway).
    public init(flags: [String], environmentVariable: String, environment: [String: String]) throws(DiscoveryError) {
        var entries = flags
        if entries.isEmpty, let text = environment[environmentVariable] {
            entries = text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
        }
        var upstreams: [String: [ServiceInstance]] = [:]
        for entry in entries {
            let (name, url) = try Self.parse(entry)
            if upstreams[name, default: []].contains(where: { $0.baseURL == url }) { continue }
            upstreams[name, default: []].append(ServiceInstance(id: url, baseURL: url))
        }
        self.upstreams = upstreams
    }

    public func instances(of service: String) -> [ServiceInstance] {
        upstreams[service] ?? []
    }

    static func parse(_ entry: String) throws(DiscoveryError) -> (name: String, url: String) {
        guard let equals = entry.firstIndex(of: "=") else {
            throw DiscoveryError(.invalidUpstream, "upstream '\(entry)' is not NAME=URL, e.g. booklist=http://127.0.0.1:8084")
        }
        let name = String(entry[..<equals])
        var url = String(entry[entry.index(after: equals)...])
        while url.hasSuffix("/") { url.removeLast() }
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw DiscoveryError(.invalidUpstream, "upstream '\(entry)' has no usable service name before '='")
        }
        guard url.hasPrefix("http://") || url.hasPrefix("https://"),
              let authority = url.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first,
              !authority.isEmpty,
              url.split(separator: "/", omittingEmptySubsequences: true).count == 2
        else {
            throw DiscoveryError(.invalidUpstream, "upstream '\(entry)': '\(url)' is not an http(s) URL with a host and no path, e.g. http://127.0.0.1:8084")
        }
        return (name, url)
    }
}
