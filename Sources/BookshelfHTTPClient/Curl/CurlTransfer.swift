import CCurl
import Synchronization

/// One request: holds its easy handle (from `pool`) and gives it back in `deinit`, the one place it is released.
///
/// Built on the caller's thread, then handed to the loop thread, which alone touches the handle, the buffers
/// and the completion from then on. Only `isCancelled` is shared, hence the atomic.
final class CurlTransfer: @unchecked Sendable {
    private let handle: PooledEasyHandle
    private let pool: EasyHandlePool
    private let maxResponseBytes: Int
    let isCancelled = Atomic<Bool>(false)

    var completion: (@Sendable (Result<HTTPClient.Response, HTTPClientError>) -> Void)?
    private var responseHeaders: [HTTPClient.Header] = []
    private var responseBody: [UInt8] = []
    private(set) var exceededLimit = false

    var easy: UnsafeMutableRawPointer { handle.easy }

    init(
        request: HTTPClient.Request, pool: EasyHandlePool, connectTimeout: Duration, timeout: Duration, maxResponseBytes: Int
    ) throws(HTTPClientError) {
        guard let handle = pool.take() else {
            throw HTTPClientError(.invalidRequest, "libcurl could not allocate a transfer handle")
        }
        self.handle = handle
        self.pool = pool
        self.maxResponseBytes = maxResponseBytes
        // On a throw the handle still goes back to the pool (deinit): the next request sets every option again.
        try configure(request, connectTimeout: connectTimeout, timeout: timeout)
    }

    deinit {
        // The loop has taken the handle out of the multi handle by now: a transfer is released only after it finished.
        pool.give(handle)
    }

    /// Sets every option that can differ between requests, each one on every request (back to libcurl's default
    /// where this request does not need it), since the pooled handle still has the previous request's values.
    private func configure(_ request: HTTPClient.Request, connectTimeout: Duration, timeout: Duration) throws(HTTPClientError) {
        guard !request.method.isEmpty, request.method.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw HTTPClientError(.invalidRequest, "'\(request.method)' is not an HTTP method")
        }
        let easy = handle.easy
        var status = bs_curl_easy_setopt_str(easy, CURLOPT_URL, request.url)
        status = status.then(bs_curl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, connectTimeout.milliseconds))
        status = status.then(bs_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, timeout.milliseconds))
        let me = Unmanaged.passUnretained(self).toOpaque()
        status = status.then(bs_curl_easy_setopt_ptr(easy, CURLOPT_WRITEDATA, me))
        status = status.then(bs_curl_easy_setopt_ptr(easy, CURLOPT_HEADERDATA, me))
        // Back to a bodiless GET first: no body, no custom method, NOBODY off (HTTPGET clears it, and the
        // POSTFIELDS call leaves the method at POST until HTTPGET sets it back).
        status = status.then(bs_curl_easy_setopt_ptr(easy, CURLOPT_POSTFIELDS, nil))
        status = status.then(bs_curl_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, -1))
        status = status.then(bs_curl_easy_setopt_str(easy, CURLOPT_CUSTOMREQUEST, nil))
        status = status.then(bs_curl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1))

        // curl waits up to a second for "100 Continue" before sending a large body; no upstream of ours needs that.
        var directives: [StaticString] = ["Expect:"]
        switch request.method {
        case "GET" where request.body.isEmpty:
            break
        case "HEAD":
            status = status.then(bs_curl_easy_setopt_long(easy, CURLOPT_NOBODY, 1))
        default:
            // POSTFIELDS carries a body for any method; CUSTOMREQUEST then names the real one.
            status = status.then(bs_curl_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            if request.body.isEmpty {
                status = status.then(bs_curl_easy_setopt_str(easy, CURLOPT_COPYPOSTFIELDS, ""))
            } else {
                status = status.then(request.body.withUnsafeBytes { bytes in
                    bs_curl_easy_setopt_ptr(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                })
            }
            status = status.then(bs_curl_easy_setopt_str(easy, CURLOPT_CUSTOMREQUEST, request.method))
            // Otherwise curl labels every body as a form.
            if !request.headers.contains(where: { $0.name.caseInsensitiveEquals("content-type") }) { directives.append("Content-Type:") }
        }
        let list = handle.headerList(request.headers, extraLines: directives)
        status = status.then(bs_curl_easy_setopt_ptr(easy, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(list)))
        guard status == CURLE_OK else {
            throw HTTPClientError(.invalidRequest, "libcurl rejected the request for \(request.url): \(String(cString: curl_easy_strerror(status)))")
        }
    }

    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard responseBody.count + bytes.count <= maxResponseBytes else {
            exceededLimit = true
            return 0
        }
        responseBody.append(contentsOf: bytes)
        return bytes.count
    }

    func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) -> Int {
        if bytes.starts(with: "HTTP/".utf8) {
            // A new status line starts a new header block (after a 1xx interim response).
            responseHeaders.removeAll(keepingCapacity: true)
        } else if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            // One allocation for the whole header block instead of the array growing line by line.
            if responseHeaders.capacity == 0 { responseHeaders.reserveCapacity(16) }
            let name = String(decoding: bytes[..<colon], as: UTF8.self)
            let value = String(decoding: bytes[(colon + 1)...].trimmingHTTPWhitespace(), as: UTF8.self)
            responseHeaders.append(HTTPClient.Header(name, value))
            // The body then arrives into one allocation instead of a growing array's several.
            if responseBody.isEmpty, name.caseInsensitiveEquals("content-length"), let length = Int(value), length > 0 {
                responseBody.reserveCapacity(min(length, maxResponseBytes))
            }
        }
        return bytes.count
    }

    /// Turns libcurl's verdict into a response or an error value; called on the loop thread once the transfer is done.
    func outcome(_ code: CURLcode) -> Result<HTTPClient.Response, HTTPClientError> {
        guard code == CURLE_OK else { return .failure(error(for: code)) }
        var status = 0
        _ = bs_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPClient.Response(status: status, headers: responseHeaders, body: responseBody))
    }

    private func error(for code: CURLcode) -> HTTPClientError {
        let reason = String(cString: curl_easy_strerror(code))
        var url: UnsafeMutableRawPointer?
        _ = bs_curl_easy_getinfo_ptr(easy, CURLINFO_EFFECTIVE_URL, &url)
        let target = url.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "upstream"
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST:
            return HTTPClientError(.connectFailed, "could not connect to \(target): \(reason)")
        case CURLE_OPERATION_TIMEDOUT:
            var connectTime = 0.0
            _ = bs_curl_easy_getinfo_double(easy, CURLINFO_CONNECT_TIME, &connectTime)
            return connectTime == 0
                ? HTTPClientError(.connectTimeout, "no connection to \(target) within the connect timeout")
                : HTTPClientError(.timeout, "\(target) did not answer within the timeout")
        case CURLE_WRITE_ERROR where exceededLimit:
            return HTTPClientError(.responseTooLarge, "the response from \(target) exceeds \(maxResponseBytes) bytes")
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return HTTPClientError(.invalidRequest, "cannot send to \(target): \(reason)")
        default:
            return HTTPClientError(.transferFailed, "exchange with \(target) failed: \(reason)")
        }
    }
}

extension Duration {
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}

extension Slice<UnsafeRawBufferPointer> {
    /// Without the spaces, tabs and line ends around a header value.
    func trimmingHTTPWhitespace() -> Slice<UnsafeRawBufferPointer> {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[startIndex..<startIndex]
        }
        return self[first...last]
    }
}
