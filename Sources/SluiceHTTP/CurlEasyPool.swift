import CCurl
import SluiceCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `curl_global_init` must run once before any other libcurl call; a static `let` is initialised
/// exactly once, thread-safely.
enum CurlGlobal {
    static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK
}

/// One libcurl easy handle. The handle keeps its own connection cache, so reusing it for the next
/// request to the same host reuses the TCP/TLS connection.
final class EasyHandle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer

    init?() {
        guard CurlGlobal.initialized, let raw = curl_easy_init() else { return nil }
        self.raw = raw
    }

    deinit { curl_easy_cleanup(raw) }
}

/// A few idle easy handles per client. A handle is used by one transfer at a time: taken out,
/// used on one thread, reset and put back. `curl_easy_reset` clears options but keeps the live
/// connections, which is what makes keep-alive work across requests.
final class EasyHandlePool: @unchecked Sendable {
    private let lock = ThreadLock()
    private var idle: [EasyHandle] = []
    private let capacity: Int

    init(capacity: Int = 4) { self.capacity = capacity }

    /// An idle handle, or a new one; nil only when libcurl cannot allocate one.
    func take() -> EasyHandle? {
        lock.lock()
        let handle = idle.popLast()
        lock.unlock()
        return handle ?? EasyHandle()
    }

    /// Resets `handle` and keeps it for the next request, or frees it when enough are idle.
    func giveBack(_ handle: EasyHandle) {
        curl_easy_reset(handle.raw)
        lock.lock()
        defer { lock.unlock() }
        if idle.count < capacity { idle.append(handle) }
    }
}
