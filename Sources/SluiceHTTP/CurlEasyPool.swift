import CCurl
import CCurlLoader
import SluiceCore
import Synchronization
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// libcurl is opened (dlopen) on the first request, not by the dynamic loader at process start, and
/// `curl_global_init` runs right after, once: a static `let` is initialised exactly once, thread-safely.
/// A process that makes no request never maps libcurl or its TLS libraries.
enum CurlGlobal {
    /// Why libcurl cannot be used, or nil once it is loaded and initialised.
    static let failure: AttemptFailure? = {
        guard sluice_curl_load() != 0 else {
            return unavailable(SLUICE_CURL_SONAME, reason: String(cString: sluice_curl_load_error()))
        }
        let code = sluice_curl_global_init(Int(CURL_GLOBAL_ALL))
        guard code == CURLE_OK else {
            return AttemptFailure(cause: .curl(code), message: "curl_global_init failed: \(String(cString: sluice_curl_easy_strerror(code)))",
                                  mayHaveReachedServer: false)
        }
        return nil
    }()

    /// Whether `soname` would do as libcurl: opens it, resolves every function Sluice calls and closes it
    /// again, leaving the process's libcurl alone. Nil when it would, else the failure a request would report.
    static func probe(_ soname: String) -> AttemptFailure? {
        var error = [CChar](repeating: 0, count: 512)
        guard sluice_curl_probe(soname, &error, error.count) == 0 else { return nil }
        return unavailable(soname, reason: String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    private static func unavailable(_ library: String, reason: String) -> AttemptFailure {
        AttemptFailure(cause: .libraryUnavailable(library: library, reason: reason), message: reason, mayHaveReachedServer: false)
    }
}

/// One libcurl easy handle. The handle keeps its own connection cache, so reusing it for the next
/// request to the same host reuses the TCP/TLS connection.
final class EasyHandle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer

    init?() {
        guard CurlGlobal.failure == nil, let raw = sluice_curl_easy_init() else { return nil }
        self.raw = raw
    }

    deinit { sluice_curl_easy_cleanup(raw) }
}

/// A few idle easy handles per client. A handle is used by one transfer at a time: taken out,
/// used on one thread, reset and put back. `curl_easy_reset` clears options but keeps the live
/// connections, which is what makes keep-alive work across requests.
final class EasyHandlePool: @unchecked Sendable {
    private let idle = Mutex<[EasyHandle]>([])
    private let capacity: Int

    init(capacity: Int = 4) { self.capacity = capacity }

    /// An idle handle, or a new one; nil only when libcurl cannot allocate one.
    func take() -> EasyHandle? {
        idle.withLock { $0.popLast() } ?? EasyHandle()
    }

    /// Resets `handle` and keeps it for the next request, or frees it when enough are idle.
    func giveBack(_ handle: EasyHandle) {
        sluice_curl_easy_reset(handle.raw)
        idle.withLock { idle in
            if idle.count < capacity { idle.append(handle) }
        }
    }
}
