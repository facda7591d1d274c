import BookshelfJSON
import BookshelfHTTPClient

/// The few endpoints of Consul's HTTP API that Bookshelf uses, as documented by HashiCorp.
public struct ConsulAgent: Sendable {
    public let baseURL: String
    let client: HTTPClient

    public init(url: String, client: HTTPClient) throws(DiscoveryError) {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw DiscoveryError(.invalidConsulURL, "Consul URL '\(url)' must start with http:// or https://, e.g. http://127.0.0.1:8500")
        }
        self.baseURL = url
        self.client = client
    }

    /// What `PUT /v1/agent/service/register` takes, with the HTTP check Consul runs against the service.
    public struct Registration: Sendable, Equatable {
        public var id: String
        public var name: String
        public var tags: [String]
        public var address: String
        public var port: Int
        /// Consul polls this URL; a non-2xx answer makes the instance critical, so lookups stop returning it.
        public var checkURL: String
        public var checkInterval: Duration
        public var checkTimeout: Duration
        /// Consul removes an instance that stayed critical this long (e.g. killed without deregistering).
        public var deregisterCriticalAfter: Duration

        public init(
            id: String, name: String, tags: [String], address: String, port: Int,
            checkURL: String? = nil,
            checkInterval: Duration = .seconds(5), checkTimeout: Duration = .seconds(2),
            deregisterCriticalAfter: Duration = .seconds(60)
        ) {
            self.id = id
            self.name = name
            self.tags = tags
            self.address = address
            self.port = port
            self.checkURL = checkURL ?? "http://\(ConsulAgent.urlHost(address)):\(port)/health/ready"
            self.checkInterval = checkInterval
            self.checkTimeout = checkTimeout
            self.deregisterCriticalAfter = deregisterCriticalAfter
        }

        var json: JSONValue {
            [
                "ID": .string(id),
                "Name": .string(name),
                "Tags": .array(tags.map(JSONValue.string)),
                "Address": .string(address),
                "Port": .number(port),
                "Check": [
                    "HTTP": .string(checkURL),
                    "Method": "GET",
                    "Interval": .string(checkInterval.consulText),
                    "Timeout": .string(checkTimeout.consulText),
                    "DeregisterCriticalServiceAfter": .string(deregisterCriticalAfter.consulText),
                ],
            ]
        }
    }

    public func register(_ registration: Registration) async throws(DiscoveryError) {
        try await put("/v1/agent/service/register", body: registration.json.serializedBytes(), what: "register \(registration.id)")
    }

    public func deregister(id: String) async throws(DiscoveryError) {
        try await put("/v1/agent/service/deregister/\(id.percentEncodedPathSegment)", body: [], what: "deregister \(id)")
    }

    /// One answer of `GET /v1/health/service/NAME?passing=true`.
    public struct HealthAnswer: Sendable {
        public var instances: [ServiceInstance]
        /// `X-Consul-Index`: pass it back as `index` to block until the answer changes.
        public var index: UInt64
    }

    /// A blocking query: with `index` above 0 Consul holds the request until the result changes or `wait` passes.
    public func healthyInstances(of service: String, index: UInt64, wait: Duration) async throws(DiscoveryError) -> HealthAnswer {
        var url = "\(baseURL)/v1/health/service/\(service.percentEncodedPathSegment)?passing=true"
        if index > 0 { url += "&index=\(index)&wait=\(wait.consulText)" }
        // Consul adds up to wait/16 of jitter before answering; the margin keeps our timeout from firing first.
        let timeout = wait + wait / 16 + .seconds(5)
        let response: HTTPClient.Response
        do {
            response = try await client.execute(.init(url: url, headers: [.init("Accept", "application/json")], timeout: timeout))
        } catch {
            throw DiscoveryError(.consulUnavailable, "Consul at \(baseURL) did not answer the lookup of \(service): \(error.message)")
        }
        guard response.status == 200 else {
            throw DiscoveryError(.consulUnavailable, "Consul at \(baseURL) answered \(response.status) to the lookup of \(service): \(String(decoding: response.body.prefix(200), as: UTF8.self))")
        }
        guard let indexText = response.header("X-Consul-Index"), let newIndex = UInt64(indexText) else {
            throw DiscoveryError(.consulBadResponse, "Consul at \(baseURL) answered the lookup of \(service) without a numeric X-Consul-Index")
        }
        let entries: JSONValue
        do {
            entries = try JSONValue(parsing: response.body)
        } catch {
            throw DiscoveryError(.consulBadResponse, "Consul's answer for \(service) is not JSON: \(error)")
        }
        guard entries.isArray else {
            throw DiscoveryError(.consulBadResponse, "Consul's answer for \(service) is not a JSON array")
        }
        var instances: [ServiceInstance] = []
        for entry in entries.elements {
            guard let serviceEntry = entry["Service"], let id = serviceEntry["ID"]?.string, let port = serviceEntry["Port"]?.int else {
                throw DiscoveryError(.consulBadResponse, "Consul's answer for \(service) has an entry without Service.ID and Service.Port")
            }
            // passing=true already filters; checking again keeps a stale or proxied answer from routing to a failing instance.
            let checks = entry["Checks"]?.elements.map { $0 } ?? []
            guard checks.allSatisfy({ $0["Status"]?.string == "passing" }) else { continue }
            // Consul's documented rule: an empty service address means the node's address.
            let serviceAddress = serviceEntry["Address"]?.string ?? ""
            let address = serviceAddress.isEmpty ? (entry["Node"]?["Address"]?.string ?? "") : serviceAddress
            guard !address.isEmpty else { continue }
            instances.append(ServiceInstance(id: id, baseURL: "http://\(Self.urlHost(address)):\(port)"))
        }
        return HealthAnswer(instances: instances, index: newIndex)
    }

    /// An address as the host of a URL (RFC 3986, RFC 6874): an IPv6 address in brackets, its zone's `%`
    /// written `%25`; names and IPv4 addresses as they are. Consul and curl both refuse `http://fd00::5:8084`.
    static func urlHost(_ address: String) -> String {
        guard address.contains(":"), !address.hasPrefix("[") else { return address }
        return "[" + address.split(separator: "%", omittingEmptySubsequences: false).joined(separator: "%25") + "]"
    }

    private func put(_ path: String, body: [UInt8], what: String) async throws(DiscoveryError) {
        let response: HTTPClient.Response
        do {
            response = try await client.execute(.init(
                method: "PUT", url: baseURL + path,
                headers: [.init("Content-Type", "application/json")], body: body, timeout: .seconds(10)
            ))
        } catch {
            throw DiscoveryError(.consulUnavailable, "could not \(what) with Consul at \(baseURL): \(error.message)")
        }
        guard (200..<300).contains(response.status) else {
            throw DiscoveryError(.consulUnavailable, "Consul at \(baseURL) refused to \(what): \(response.status) \(String(decoding: response.body.prefix(200), as: UTF8.self))")
        }
    }
}

extension Duration {
    /// Consul's duration syntax; milliseconds keep sub-second test intervals exact.
    var consulText: String {
        let (seconds, attoseconds) = components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
    }
}

extension String {
    var percentEncodedPathSegment: String {
        var encoded = ""
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                encoded.append(Character(Unicode.Scalar(byte)))
            default:
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }

    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
