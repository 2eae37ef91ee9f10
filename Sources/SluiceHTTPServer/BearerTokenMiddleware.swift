import Hummingbird
import NIOCore
import SluiceCore

/// Checks `Authorization: Bearer <token>` in constant time against the tokens a server accepts.
/// A read token allows GET only (403 otherwise); a full token allows every method; anything else
/// is answered 401 with `WWW-Authenticate: Bearer`. The refusal bodies are each server's own JSON.
public struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Compact JSON texts of the two refusals (`forbidden` only where there is a read token).
    public struct Refusals: Sendable {
        public var unauthorized: String
        public var forbidden: String
        public init(unauthorized: String, forbidden: String = "") {
            self.unauthorized = unauthorized
            self.forbidden = forbidden
        }
    }

    let full: [UInt8]?
    let read: [UInt8]?
    let refusals: Refusals

    /// `full` may do anything, `read` only GET; an absent or empty token matches nothing.
    public init(full: String?, read: String? = nil, refusals: Refusals) {
        self.full = full.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        self.read = read.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        self.refusals = refusals
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let sent = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? Array($0.dropFirst("Bearer ".count).utf8) : nil }
        let isFull = sent.flatMap { sent in full.map { ConstantTime.equal(sent, $0) } } ?? false
        let isReader = sent.flatMap { sent in read.map { ConstantTime.equal(sent, $0) } } ?? false
        guard isFull || (isReader && request.method == .get) else {
            let status: HTTPResponse.Status = isReader ? .forbidden : .unauthorized
            return Response(status: status, headers: [.contentType: "application/json", .wwwAuthenticate: "Bearer"],
                            body: .init(byteBuffer: ByteBuffer(string: isReader ? refusals.forbidden : refusals.unauthorized)))
        }
        return try await next(request, context)
    }
}
