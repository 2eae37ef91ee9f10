#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a request sends after its headers.
public enum HTTPBody: Sendable {
    /// No body.
    case empty
    /// Raw bytes with their content type.
    case data(Data, contentType: String)
    /// JSON bytes, sent as `application/json`.
    case json(Data)
    /// A `multipart/form-data` form (file uploads), built with libcurl's MIME API.
    case multipart([MultipartPart])
}

/// One field of a `multipart/form-data` body.
public struct MultipartPart: Sendable {
    /// Where the part's bytes come from.
    public enum Content: Sendable {
        /// Bytes in memory.
        case data(Data)
        /// A local file, streamed from disk while sending (not loaded into memory).
        case file(URL)
    }

    /// The form field name.
    public var name: String
    /// The file name the server sees; for `.file` content it defaults to the file's own name.
    public var filename: String?
    /// The part's content type, if any.
    public var contentType: String?
    /// The part's bytes.
    public var content: Content

    /// A form field `name` with `content`.
    public init(name: String, filename: String? = nil, contentType: String? = nil, content: Content) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
        self.content = content
    }
}
