#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One HTTP request: method, URL, headers and body, plus how the client may retry it.
public struct HTTPRequest: Sendable {
    /// The request method.
    public var method: HTTPMethod
    /// The full URL (`http` or `https`).
    public var url: URL
    /// Extra headers; the client adds `User-Agent`, `Authorization` (bearer token) and `Content-Type`.
    public var headers: HTTPHeaders
    /// The body.
    public var body: HTTPBody
    /// Whether a retry after the request may have reached the server is safe. Defaults to true for
    /// GET/HEAD/PUT/DELETE, false for POST/PATCH.
    public var isIdempotent: Bool
    /// Overrides the client's total timeout (per attempt) for this request.
    public var timeout: Duration?
    /// Lowers the client's response size limit for this request (an answer that is only ever
    /// small: anything larger is cut off with `.responseTooLarge` instead of read to the end).
    public var maxResponseBytes: Int?

    /// A request; `isIdempotent` follows from the method.
    public init(_ method: HTTPMethod, _ url: URL, headers: HTTPHeaders = [:], body: HTTPBody = .empty) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.isIdempotent = method.isIdempotent
        self.timeout = nil
        self.maxResponseBytes = nil
    }
}

/// An HTTP request method.
public enum HTTPMethod: String, Sendable {
    case GET, HEAD, POST, PUT, PATCH, DELETE

    /// Whether repeating the request has the same effect as sending it once (RFC 9110 9.2.2).
    public var isIdempotent: Bool {
        switch self {
        case .GET, .HEAD, .PUT, .DELETE: true
        case .POST, .PATCH: false
        }
    }
}
