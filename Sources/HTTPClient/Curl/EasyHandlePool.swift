import CCurl
import Synchronization

/// Easy handles kept between transfers. `curl_easy_init` allocates and initialises a large structure, and
/// `curl_easy_cleanup` tears it down again; a handle given back is `curl_easy_reset` instead, which restores
/// every option to its default, so no request's URL, headers, body or timeouts reach the next one.
final class EasyHandlePool: Sendable {
    private struct Handle: @unchecked Sendable {
        let easy: UnsafeMutableRawPointer
    }

    private let idle = Mutex<[Handle]>([])
    private let capacity: Int

    init(capacity: Int) {
        _ = curlGlobalInit
        self.capacity = capacity
    }

    deinit {
        for handle in idle.withLock({ $0 }) { curl_easy_cleanup(handle.easy) }
    }

    /// A handle with every option at its default, or nil when libcurl is out of memory.
    func take() -> UnsafeMutableRawPointer? {
        idle.withLock { $0.popLast() }?.easy ?? curl_easy_init()
    }

    /// Takes back a handle that is in no multi handle; past `capacity` it is freed.
    func give(_ easy: UnsafeMutableRawPointer) {
        curl_easy_reset(easy)
        let kept = idle.withLock { handles in
            guard handles.count < capacity else { return false }
            handles.append(Handle(easy: easy))
            return true
        }
        if !kept { curl_easy_cleanup(easy) }
    }
}
