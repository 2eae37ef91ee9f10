#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird
import NIOCore

/// How an API writes JSON: keys sorted and dates in ISO 8601 always; indented where people read
/// the answers (the status API), compact where programs do (the runtime's wire format).
public enum JSONStyle: Sendable {
    case pretty
    case compact

    func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = self == .pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

/// A JSON answer of Sluice's servers: `Content-Type: application/json`, the value encoded in `style`.
public struct JSONAnswer<Body: Encodable>: ResponseGenerator {
    public var body: Body
    public var status: HTTPResponse.Status
    public var style: JSONStyle

    public init(_ body: Body, status: HTTPResponse.Status = .ok, style: JSONStyle) {
        self.body = body
        self.status = status
        self.style = style
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: try style.encoder().encode(body))))
    }
}

extension JSONAnswer: Sendable where Body: Sendable {}

/// A text answer: `Content-Type` as given (UTF-8 plain text unless said otherwise).
public struct TextAnswer: ResponseGenerator, Sendable {
    public var text: String
    public var status: HTTPResponse.Status
    public var contentType: String

    public init(_ text: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8") {
        self.text = text
        self.status = status
        self.contentType = contentType
    }

    public func response(from request: Request, context: some RequestContext) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// A request the server turns down (not found, unauthorized, unprocessable, ...): handlers throw
/// it and Hummingbird answers with its status and body.
public struct Refusal: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    private let answer: any ResponseGenerator & Sendable

    /// Refuses with a plain-text body.
    public static func text(_ text: String, status: HTTPResponse.Status) -> Refusal {
        Refusal(status: status, answer: TextAnswer(text, status: status))
    }

    /// Refuses with a JSON body.
    public static func json(_ body: some Encodable & Sendable, status: HTTPResponse.Status, style: JSONStyle) -> Refusal {
        Refusal(status: status, answer: JSONAnswer(body, status: status, style: style))
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try answer.response(from: request, context: context)
    }
}
