#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A complete HTTP response held in memory.
public struct HTTPResponse: Sendable, CustomStringConvertible {
    /// The status code.
    public var status: Int
    /// The response headers (of the final response, after any `100 Continue`).
    public var headers: HTTPHeaders
    /// The body bytes.
    public var body: Data
    /// The request URL (printed without credentials or query).
    public var url: URL
    /// The request method.
    public var method: HTTPMethod
    /// Strings to remove from excerpts of the body (the client's bearer token, URL credentials).
    var secrets: [String] = []

    /// A response, e.g. for test doubles of code that consumes responses.
    public init(status: Int, headers: HTTPHeaders = [:], body: Data = Data(), url: URL, method: HTTPMethod = .GET) {
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url
        self.method = method
    }

    /// Whether the status is in 200..<300.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// This response, or `HTTPError` (kind `.status`) unless the status is in 200..<300; the error
    /// carries a short, secret-free excerpt of the body.
    @discardableResult
    public func requireSuccess() throws -> HTTPResponse {
        guard isSuccess else {
            throw HTTPError(.status(status, excerpt: Redaction.excerpt(of: body, secrets: secrets)), method: method, url: url)
        }
        return self
    }

    /// The body decoded as JSON into `type`; failures name the URL and the field that did not fit.
    public func decode<T: Decodable>(_ type: T.Type, decoder: JSONDecoder = JSONDecoder()) throws -> T {
        do {
            return try decoder.decode(type, from: body)
        } catch let error as DecodingError {
            let reason = "cannot decode \(type): \(Self.explain(error))"
            throw HTTPError(.undecodableBody(Redaction.scrub(reason, secrets: secrets)), method: method, url: url)
        }
    }

    /// `HTTP 200 from GET http://host/path`, without credentials.
    public var description: String { "HTTP \(status) from \(method.rawValue) \(Redaction.display(url))" }

    /// A one-line explanation of a decoding error: what was wrong at which path.
    private static func explain(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "the top level" : String(keys.drop { $0 == "." })
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key \(key.stringValue) at \(path(context))"
        case .typeMismatch(let type, let context): return "expected \(type) at \(path(context))"
        case .valueNotFound(let type, let context): return "expected \(type) but found null at \(path(context))"
        case .dataCorrupted(let context): return "\(context.debugDescription) at \(path(context))"
        @unknown default: return "\(error)"
        }
    }
}

/// The result of `HTTPClient.download`.
public struct HTTPDownload: Sendable {
    /// The status code; only a 2xx body is written to the destination.
    public var status: Int
    /// The number of body bytes received.
    public var bytes: Int
    /// The SHA-256 of the body bytes, lowercase hex.
    public var sha256: String
    /// The response headers.
    public var headers: HTTPHeaders

    /// A download result.
    public init(status: Int, bytes: Int, sha256: String, headers: HTTPHeaders) {
        self.status = status
        self.bytes = bytes
        self.sha256 = sha256
        self.headers = headers
    }
}
