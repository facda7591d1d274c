import CCurl
import Synchronization

/// An easy handle kept between transfers, with the options every transfer shares already set, and the
/// memory its request header list is built in.
///
/// `curl_easy_reset` between transfers would free and reinitialise every option, and the next transfer would
/// set them all again; instead the options that never change are set once here, and `CurlTransfer.configure`
/// sets every option that can differ between requests on every request (URL, timeouts, method, body,
/// headers, callback context), including back to its default, so nothing of one request reaches the next.
final class PooledEasyHandle: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    /// The request header list: nodes and their NUL-terminated lines live in memory this handle owns and
    /// reuses, so building the list allocates nothing once it has grown to a request's size. libcurl only
    /// reads the list, during the transfer the handle is in; both buffers outlive it.
    private var nodes: UnsafeMutablePointer<curl_slist>
    private var nodeCapacity: Int
    private var text: UnsafeMutablePointer<UInt8>
    private var textCapacity: Int

    /// A handle with the shared options set, or nil when libcurl is out of memory.
    init?() {
        guard let easy = curl_easy_init() else { return nil }
        // Signals cannot be used to time out name resolution from a non-main thread.
        var status = bs_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        // Upstreams are on the service network; a proxy from the environment must not reroute them.
        status = status.then(bs_curl_easy_setopt_str(easy, CURLOPT_PROXY, ""))
        // Without it libcurl reads no_proxy and NO_PROXY from the environment for every transfer, to no end without a proxy.
        status = status.then(bs_curl_easy_setopt_str(easy, CURLOPT_NOPROXY, ""))
        status = status.then(bs_curl_easy_setopt_str(easy, CURLOPT_PROTOCOLS_STR, "http,https"))
        status = status.then(bs_curl_easy_setopt_long(easy, CURLOPT_TCP_NODELAY, 1))
        status = status.then(bs_curl_easy_setopt_write(easy, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
                .receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
        })
        status = status.then(bs_curl_easy_setopt_write(easy, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
                .receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: size * count))
        })
        guard status == CURLE_OK else {
            curl_easy_cleanup(easy)
            return nil
        }
        self.easy = easy
        nodeCapacity = 8
        nodes = .allocate(capacity: nodeCapacity)
        textCapacity = 512
        text = .allocate(capacity: textCapacity)
    }

    deinit {
        curl_easy_cleanup(easy)
        nodes.deallocate()
        text.deallocate()
    }

    /// The request's header lines as a list libcurl reads (valid until the next call on this handle).
    /// A header with an empty value is spelled "Name;", since "Name:" tells libcurl to drop the header;
    /// `extraLines` are libcurl directives such as "Expect:".
    func headerList(_ headers: [HTTPClient.Header], extraLines: [StaticString]) -> UnsafeMutablePointer<curl_slist> {
        let count = headers.count + extraLines.count
        var bytes = 0
        for header in headers { bytes += header.name.utf8.count + header.value.utf8.count + 3 }
        for line in extraLines { bytes += line.utf8CodeUnitCount + 1 }
        if count > nodeCapacity {
            nodes.deallocate()
            nodeCapacity = max(count, nodeCapacity * 2)
            nodes = .allocate(capacity: nodeCapacity)
        }
        if bytes > textCapacity {
            text.deallocate()
            textCapacity = max(bytes, textCapacity * 2)
            text = .allocate(capacity: textCapacity)
        }
        var offset = 0
        var index = 0
        func link(from start: Int) {
            text[offset] = 0
            offset += 1
            nodes[index] = curl_slist(data: UnsafeMutableRawPointer(text + start).assumingMemoryBound(to: CChar.self), next: nil)
            if index > 0 { nodes[index - 1].next = nodes + index }
            index += 1
        }
        func write(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard !bytes.isEmpty else { return }
            (text + offset).update(from: bytes.baseAddress!, count: bytes.count)
            offset += bytes.count
        }
        func write(_ string: String) {
            let copied: Void? = string.utf8.withContiguousStorageIfAvailable { write($0) }
            if copied == nil {
                for byte in string.utf8 {
                    text[offset] = byte
                    offset += 1
                }
            }
        }
        func write(_ byte: UInt8) {
            text[offset] = byte
            offset += 1
        }
        for header in headers {
            let start = offset
            write(header.name)
            if header.value.isEmpty {
                write(UInt8(ascii: ";"))
            } else {
                write(UInt8(ascii: ":"))
                write(UInt8(ascii: " "))
                write(header.value)
            }
            link(from: start)
        }
        for line in extraLines {
            let start = offset
            write(UnsafeBufferPointer(start: line.utf8Start, count: line.utf8CodeUnitCount))
            link(from: start)
        }
        return nodes
    }
}

/// Easy handles kept between transfers: `curl_easy_init` allocates and initialises a large structure, and
/// `curl_easy_cleanup` tears it down again.
final class EasyHandlePool: Sendable {
    private let idle = Mutex<[PooledEasyHandle]>([])
    private let capacity: Int

    init(capacity: Int) {
        _ = curlGlobalInit
        self.capacity = capacity
    }

    /// A handle with the shared options set, or nil when libcurl is out of memory.
    func take() -> PooledEasyHandle? {
        idle.withLock { $0.popLast() } ?? PooledEasyHandle()
    }

    /// Takes back a handle that is in no multi handle; past `capacity` it is freed.
    func give(_ handle: PooledEasyHandle) {
        idle.withLock { handles in
            guard handles.count < capacity else { return }
            handles.append(handle)
        }
    }
}

extension CURLcode {
    /// Keeps the first failure of a chain of setopt calls.
    func then(_ next: @autoclosure () -> CURLcode) -> CURLcode {
        self == CURLE_OK ? next() : self
    }
}
