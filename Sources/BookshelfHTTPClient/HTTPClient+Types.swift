extension HTTPClient {
    /// One header line. Kept as an ordered list rather than a dictionary because HTTP allows a name to repeat.
    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public struct Request: Sendable {
        public var method: String
        public var url: String
        public var headers: [Header]
        public var body: [UInt8]
        /// Overrides the client's default for this request only.
        public var connectTimeout: Duration?
        /// Overrides the client's default for this request only.
        public var timeout: Duration?

        public init(
            method: String = "GET",
            url: String,
            headers: [Header] = [],
            body: [UInt8] = [],
            connectTimeout: Duration? = nil,
            timeout: Duration? = nil
        ) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
            self.connectTimeout = connectTimeout
            self.timeout = timeout
        }
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [Header]
        public var body: [UInt8]

        public init(status: Int, headers: [Header], body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        /// The first value of a header, compared case-insensitively as HTTP requires.
        public func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveEquals(name) }?.value
        }
    }

    public struct Configuration: Sendable {
        /// How long to wait for a TCP connection; past it the request was never sent, so another instance may be tried.
        public var connectTimeout: Duration
        /// How long the whole exchange may take.
        public var timeout: Duration
        /// Idle connections kept for reuse across all upstreams.
        public var maxIdleConnections: Int
        /// Larger responses fail with `.responseTooLarge` instead of growing memory without bound.
        public var maxResponseBytes: Int

        public init(
            connectTimeout: Duration = .seconds(2),
            timeout: Duration = .seconds(30),
            maxIdleConnections: Int = 64,
            maxResponseBytes: Int = 16 * 1024 * 1024
        ) {
            self.connectTimeout = connectTimeout
            self.timeout = timeout
            self.maxIdleConnections = maxIdleConnections
            self.maxResponseBytes = maxResponseBytes
        }
    }
}

extension String {
    /// ASCII case-insensitive, as HTTP compares header names, without building lower-cased copies.
    func caseInsensitiveEquals(_ other: String) -> Bool {
        self.utf8.count == other.utf8.count && self.utf8.elementsEqual(other.utf8) { $0.asciiLowercased == $1.asciiLowercased }
    }
}

extension UInt8 {
    var asciiLowercased: UInt8 {
        self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z") ? self | 0x20 : self
    }
}
