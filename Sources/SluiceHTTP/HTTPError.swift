#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore

/// An HTTP request failed: it names the method and the URL (without credentials or query), the
/// cause, and what to do. Bearer tokens and Authorization headers never appear in it.
public struct HTTPError: SluiceError, Equatable {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// No connection could be made (refused, unresolvable host, unreachable network).
        case couldNotConnect
        /// The TLS handshake failed (untrusted certificate, wrong host name, client certificate refused).
        case tls
        /// The server (or something in between) closed the connection abruptly (TCP reset): it died,
        /// restarted or dropped the connection, whatever phase the transfer was in.
        case connectionReset
        /// The connect or total timeout elapsed.
        case timeout
        /// The response body exceeded `limit` bytes and the transfer was aborted.
        case responseTooLarge(limit: Int)
        /// The server answered a status outside 200..<300; `excerpt` is a short, secret-free start of the body.
        case status(Int, excerpt: String)
        /// The server's answer was not valid HTTP.
        case invalidResponse
        /// Any other transfer failure, with libcurl's message.
        case transport(String)
        /// The request itself cannot be sent (e.g. a header with a line break); nothing was sent.
        case invalidRequest(String)
        /// The body could not be decoded as the expected JSON type.
        case undecodableBody(String)
        /// A local file (an upload or a download destination) could not be read or written.
        case localFile(String)
        /// The HTTP library itself (libcurl, opened on the first request) could not be loaded, or lacks
        /// a function Sluice calls; `reason` is the dynamic loader's message. Nothing was sent.
        case libraryUnavailable(library: String, reason: String)
    }

    /// What went wrong.
    public var kind: Kind
    /// The request method.
    public var method: HTTPMethod
    /// The request URL without user-info, query or fragment.
    public var redactedURL: String
    /// How many attempts were made.
    public var attempts: Int
    /// libcurl's explanation, with secrets removed, when it gave one.
    public var detail: String?

    /// An error for `method` on `url` (redacted here, so callers cannot forget to).
    public init(_ kind: Kind, method: HTTPMethod, url: URL, attempts: Int = 1, detail: String? = nil) {
        self.kind = kind
        self.method = method
        self.redactedURL = Redaction.display(url)
        self.attempts = attempts
        self.detail = detail
    }

    /// `<METHOD> <redacted URL>`, what happened, and libcurl's explanation.
    public var message: String {
        let request = "\(method.rawValue) \(redactedURL)"
        let tries = attempts > 1 ? " after \(attempts) attempts" : ""
        let because = detail.map { ": \($0)" } ?? ""
        switch kind {
        case .couldNotConnect: return "\(request): could not connect\(tries)\(because)"
        case .tls: return "\(request): TLS handshake failed\(tries)\(because)"
        case .connectionReset: return "\(request): the connection was reset by the server\(tries)\(because)"
        case .timeout: return "\(request): timed out\(tries)\(because)"
        case .responseTooLarge(let limit): return "\(request): the response is larger than the limit of \(limit) bytes"
        case .status(let code, let excerpt):
            let body = excerpt.isEmpty ? "" : ": \(excerpt)"
            return "\(request) answered HTTP \(code)\(tries)\(body)"
        case .invalidResponse: return "\(request): the server's answer is not valid HTTP\(tries)\(because)"
        case .transport(let reason): return "\(request) failed\(tries): \(reason)"
        case .invalidRequest(let reason): return "\(request) cannot be sent: \(reason)"
        case .undecodableBody(let reason): return "\(request): the response body is not what was expected: \(reason)"
        case .localFile(let reason): return "\(request): \(reason)"
        case .libraryUnavailable(let library, let reason):
            return "\(request) cannot be sent: the HTTP library \(library) could not be loaded: \(reason)"
        }
    }

    /// What the user can check or change.
    public var hint: String? {
        switch kind {
        case .couldNotConnect where detail?.asciiCaseInsensitiveContains("resolve") == true:
            return "check the host name (DNS) and the proxy settings"
        case .couldNotConnect:
            return "check that the server is running and reachable at this address (and the proxy settings)"
        case .tls:
            return "check the CA bundle (certificate authority), the client certificate and key, and that the server certificate names this host"
        case .connectionReset:
            return "the server went away mid-request (crashed, restarted, or a load balancer dropped the connection); check that it is up and healthy"
        case .timeout:
            return "check that the server is healthy; raise the timeout if it is just slow"
        case .responseTooLarge:
            return "check the URL; raise the size limit if the response really is that large"
        case .status(let code, _):
            switch code {
            case 401, 403: return "check the credentials (bearer token or client certificate) and their permissions"
            case 404: return "check the URL and that the resource exists"
            case 429: return "the server is rate limiting; try again later"
            case 500...: return "the server failed; see its logs"
            default: return nil
            }
        case .invalidResponse:
            return "check that the URL points at an HTTP server and uses the right scheme (http or https)"
        case .transport:
            return "check the network path to the server"
        case .invalidRequest:
            return "remove line breaks from header names and values"
        case .undecodableBody:
            return "check that the URL points at the expected API and version"
        case .localFile:
            return "check that the path exists and is readable/writable"
        case .libraryUnavailable(let library, _):
            return "install libcurl (\(library)): on Debian and Ubuntu `apt-get install libcurl4`, on Fedora and RHEL `dnf install libcurl`"
        }
    }
}
