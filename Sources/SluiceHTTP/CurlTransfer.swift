import CCurl
import CCurlLoader
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// What one attempt received.
struct AttemptResult: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data
    var bytes: Int
    /// SHA-256 hex of the body; only computed for file downloads.
    var sha256: String
}

/// Why one attempt failed, in libcurl's terms; `HTTPClient` turns it into an `HTTPError`.
struct AttemptFailure: Error, Sendable {
    enum Cause: Sendable {
        case curl(CURLcode)
        case tooLarge
        case cancelled
        case localFile(String)
        /// libcurl could not be opened or lacks a function Sluice calls (`reason` is dlerror's text).
        case libraryUnavailable(library: String, reason: String)
    }

    var cause: Cause
    /// libcurl's detailed message (may name host and port, never credentials).
    var message: String
    /// Whether the request may have been sent: false means a retry cannot duplicate it.
    var mayHaveReachedServer: Bool
}

/// Runs one attempt of a request on one easy handle, synchronously. Called on a dedicated thread,
/// never on a Swift concurrency thread, because `curl_easy_perform` blocks.
enum CurlTransfer {
    /// Performs `request` once; `file` receives the body instead of memory when given.
    static func perform(
        _ request: HTTPRequest, configuration: HTTPClientConfiguration, pool: EasyHandlePool,
        limit: Int, file: URL?, cancellation: CancellationFlag, stream: (@Sendable (Data) -> Bool)? = nil
    ) -> Result<AttemptResult, AttemptFailure> {
        if let failure = CurlGlobal.failure { return .failure(failure) }
        guard let handle = pool.take() else {
            return .failure(AttemptFailure(cause: .curl(CURLE_FAILED_INIT), message: "libcurl could not create a handle", mayHaveReachedServer: false))
        }
        defer { pool.giveBack(handle) }

        var descriptor: Int32 = -1
        if let file {
            descriptor = open(file.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                let reason = String(cString: strerror(errno))
                return .failure(AttemptFailure(cause: .localFile("cannot create \(file.path): \(reason)"), message: reason, mayHaveReachedServer: false))
            }
        }
        defer { if descriptor >= 0 { close(descriptor) } }

        let sink: TransferState.Sink = descriptor >= 0 ? .file(descriptor) : stream.map { .stream($0) } ?? .memory
        let state = TransferState(limit: limit, sink: sink, cancellation: cancellation)
        var resources = CurlResources()
        defer { resources.free() }
        do {
            try CurlOptions(handle: handle.raw).apply(request, configuration: configuration, state: state, resources: &resources)
        } catch {
            return .failure(error)
        }

        let code = withExtendedLifetime(state) { sluice_curl_easy_perform(handle.raw) }
        var status = 0
        _ = sluice_curl_getinfo_long(handle.raw, CURLINFO_RESPONSE_CODE, &status)
        var pretransfer: curl_off_t = 0
        _ = sluice_curl_getinfo_off_t(handle.raw, CURLINFO_PRETRANSFER_TIME_T, &pretransfer)
        let reached = pretransfer > 0 || status > 0

        guard code == CURLE_OK || (code == CURLE_WRITE_ERROR && state.stoppedByReceiver) else {
            let message = state.errorMessage.isEmpty ? String(cString: sluice_curl_easy_strerror(code)) : state.errorMessage
            let cause: AttemptFailure.Cause
            if cancellation.isCancelled, code == CURLE_ABORTED_BY_CALLBACK {
                cause = .cancelled
            } else if state.exceededLimit || code == CURLE_FILESIZE_EXCEEDED {
                cause = .tooLarge
            } else if let fileError = state.fileError {
                cause = .localFile("cannot write \(file?.path ?? "the download"): \(fileError)")
            } else {
                cause = .curl(code)
            }
            return .failure(AttemptFailure(cause: cause, message: message, mayHaveReachedServer: reached))
        }
        guard status > 0 else {
            return .failure(AttemptFailure(cause: .curl(CURLE_WEIRD_SERVER_REPLY), message: "no HTTP status received", mayHaveReachedServer: reached))
        }
        return .success(AttemptResult(
            status: status, headers: state.headers, body: state.body, bytes: state.received,
            sha256: descriptor >= 0 ? state.sha256Hex : ""))
    }
}

/// The C objects one attempt allocates besides the handle; freed after the transfer.
struct CurlResources {
    var headers: UnsafeMutablePointer<curl_slist>?
    var connectTo: UnsafeMutablePointer<curl_slist>?
    var mime: OpaquePointer?

    mutating func free() {
        if let headers { sluice_curl_slist_free_all(headers) }
        if let connectTo { sluice_curl_slist_free_all(connectTo) }
        if let mime { sluice_curl_mime_free(mime) }
        headers = nil
        connectTo = nil
        mime = nil
    }
}
