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
import SluiceCore

/// The one HTTP client of Sluice, over libcurl.
///
/// Each transfer runs on its own thread (libcurl blocks), so Swift concurrency threads never wait
/// on the network; cancelling the task aborts the transfer. A few easy handles are kept per client
/// so that repeated requests to one host reuse the connection. Failed requests are retried with
/// full-jitter exponential backoff when a retry cannot do harm (see `RetryPolicy`).
public final class HTTPClient: HTTPTransport {
    /// The settings every request of this client uses.
    public let configuration: HTTPClientConfiguration
    private let pool = EasyHandlePool()

    /// A client; create one per server (or per set of credentials) and reuse it.
    public init(configuration: HTTPClientConfiguration = .init()) {
        self.configuration = configuration
    }

    /// Sends `request` (retrying as the configuration allows) and returns the final response,
    /// whatever its status; call `requireSuccess()` to turn non-2xx answers into errors.
    /// Throws `HTTPError` when no response arrives, or `CancellationError` when the task is cancelled.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let limit = min(request.maxResponseBytes ?? configuration.maxResponseBytes, configuration.maxResponseBytes)
        let result = try await perform(request, limit: max(limit, 0), file: nil)
        var response = HTTPResponse(status: result.status, headers: result.headers, body: result.body,
                                    url: request.url, method: request.method)
        response.secrets = Redaction.secrets(of: request.url, bearerToken: configuration.bearerToken)
        return response
    }

    /// Streams the body to `destination` (written to a temporary file beside it, renamed on success,
    /// removed on failure), at most `maxBytes`. Returns status, byte count and the SHA-256 hex of
    /// the bytes. Only a 2xx body is kept at `destination`; for other statuses nothing is written
    /// there and the caller decides from `status`.
    public func download(_ request: HTTPRequest, to destination: URL, maxBytes: Int) async throws -> HTTPDownload {
        let partial = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString.prefix(8)).partial")
        do {
            let result = try await perform(request, limit: maxBytes, file: partial)
            if (200..<300).contains(result.status) {
                guard rename(partial.path, destination.path) == 0 else {
                    let reason = String(cString: strerror(errno))
                    throw HTTPError(.localFile("cannot move the download to \(destination.path): \(reason)"),
                                    method: request.method, url: request.url)
                }
            } else {
                unlink(partial.path)
            }
            return HTTPDownload(status: result.status, bytes: result.bytes, sha256: result.sha256, headers: result.headers)
        } catch {
            unlink(partial.path)
            throw error
        }
    }

    /// Streams a response body (server-sent events, a log) to `receive`, chunk by chunk as it
    /// arrives, on the transfer's own thread, until the server ends it, `receive` returns false,
    /// `maxBytes` have arrived, `request.timeout` (or the client's) runs out, or the task is
    /// cancelled. One attempt, never retried. Returns the status and headers; the body of a
    /// non-2xx answer is not streamed but returned in `body`.
    public func stream(_ request: HTTPRequest, maxBytes: Int, receive: @escaping @Sendable (Data) -> Bool) async throws -> HTTPResponse {
        try validate(request)
        let cancellation = CancellationFlag()
        let configuration = configuration, pool = pool
        let outcome = await withTaskCancellationHandler {
            await onDedicatedThread("sluice-http-stream") {
                CurlTransfer.perform(request, configuration: configuration, pool: pool, limit: maxBytes, file: nil,
                                     cancellation: cancellation, stream: receive)
            }
        } onCancel: {
            cancellation.cancel()
        }
        switch outcome {
        case .success(let result):
            var response = HTTPResponse(status: result.status, headers: result.headers, body: result.body, url: request.url, method: request.method)
            response.secrets = Redaction.secrets(of: request.url, bearerToken: configuration.bearerToken)
            return response
        case .failure(let failure):
            if case .cancelled = failure.cause { throw CancellationError() }
            throw makeError(failure, request: request, limit: maxBytes, attempts: 1)
        }
    }

    /// The attempt loop: retries while the policy allows and a retry is safe.
    private func perform(_ request: HTTPRequest, limit: Int, file: URL?) async throws -> AttemptResult {
        try validate(request)
        let policy = configuration.retry
        let maxAttempts = max(1, policy.maxAttempts)
        var attempt = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            switch await performOnce(request, limit: limit, file: file) {
            case .success(let result):
                guard attempt < maxAttempts, request.isIdempotent, Self.isRetryable(status: result.status) else {
                    return result
                }
                let retryAfter = result.headers["Retry-After"].flatMap { RetryAfter.parse($0) }
                try await Task.sleep(for: retryAfter.map(policy.capped) ?? policy.backoff(beforeRetry: attempt))
            case .failure(let failure):
                if case .cancelled = failure.cause { throw CancellationError() }
                let error = makeError(failure, request: request, limit: limit, attempts: attempt)
                guard attempt < maxAttempts, Self.isRetryable(error.kind, failure: failure, request: request) else {
                    throw error
                }
                try await Task.sleep(for: policy.backoff(beforeRetry: attempt))
            }
        }
    }

    /// Runs one attempt on a new thread and waits for it without blocking the caller's thread.
    private func performOnce(_ request: HTTPRequest, limit: Int, file: URL?) async -> Result<AttemptResult, AttemptFailure> {
        let cancellation = CancellationFlag()
        let configuration = configuration, pool = pool
        return await withTaskCancellationHandler {
            await onDedicatedThread("sluice-http") {
                CurlTransfer.perform(request, configuration: configuration, pool: pool, limit: limit, file: file,
                                     cancellation: cancellation)
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    /// Rejects what libcurl would send wrongly: line breaks in headers would inject extra headers.
    private func validate(_ request: HTTPRequest) throws {
        for (name, value) in request.headers where name.isEmpty || (name + value).unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
            throw HTTPError(.invalidRequest("header \(name.isEmpty ? "with an empty name" : name) contains a line break"),
                            method: request.method, url: request.url)
        }
        guard let scheme = request.url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw HTTPError(.invalidRequest("only http and https URLs are supported"), method: request.method, url: request.url)
        }
    }

    /// 429 (rate limited), 408 (request timeout) and 5xx (server trouble) may succeed on retry.
    private static func isRetryable(status: Int) -> Bool {
        status == 429 || status == 408 || (500..<600).contains(status)
    }

    /// A failure before the request was sent is always safe to retry; after, only for idempotent requests.
    private static func isRetryable(_ kind: HTTPError.Kind, failure: AttemptFailure, request: HTTPRequest) -> Bool {
        switch kind {
        case .couldNotConnect: return true
        case .timeout, .transport, .connectionReset: return !failure.mayHaveReachedServer || request.isIdempotent
        default: return false
        }
    }

    private func makeError(_ failure: AttemptFailure, request: HTTPRequest, limit: Int, attempts: Int) -> HTTPError {
        let secrets = Redaction.secrets(of: request.url, bearerToken: configuration.bearerToken)
        let detail = failure.message.isEmpty ? nil : Redaction.scrub(failure.message, secrets: secrets)
        let kind: HTTPError.Kind
        switch failure.cause {
        case .tooLarge: kind = .responseTooLarge(limit: limit)
        case .localFile(let reason): kind = .localFile(reason)
        case .cancelled: kind = .transport("cancelled")
        case .curl(let code): kind = Self.kind(of: code, detail: detail ?? "")
        case .libraryUnavailable(let library, let reason):
            return HTTPError(.libraryUnavailable(library: library, reason: reason), method: request.method, url: request.url, attempts: attempts)
        }
        if case .transport = kind {
            return HTTPError(kind, method: request.method, url: request.url, attempts: attempts)
        }
        return HTTPError(kind, method: request.method, url: request.url, attempts: attempts, detail: detail)
    }

    /// Sorts libcurl's result codes into the kinds a caller can act on.
    private static func kind(of code: CURLcode, detail: String) -> HTTPError.Kind {
        // A reset shows up under whichever phase it hit (a TLS handshake, a send, a receive):
        // name what happened, not the phase, so nobody checks a CA bundle for a dead server.
        if [CURLE_SSL_CONNECT_ERROR, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING].contains(code),
           detail.asciiCaseInsensitiveContains("connection reset") || detail.contains("ECONNRESET") || detail.contains("errno 104") {
            return .connectionReset
        }
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .couldNotConnect
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CRL_BADFILE,
             CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED,
             CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            return .tls
        case CURLE_RECV_ERROR where detail.contains("SSL") || detail.contains("alert"),
             CURLE_SEND_ERROR where detail.contains("SSL") || detail.contains("alert"):
            // With TLS 1.3 a refused client certificate arrives as an alert after the handshake.
            return .tls
        case CURLE_WEIRD_SERVER_REPLY, CURLE_UNSUPPORTED_PROTOCOL:
            return .invalidResponse
        default:
            return .transport(detail.isEmpty ? String(cString: sluice_curl_easy_strerror(code)) : detail)
        }
    }
}
