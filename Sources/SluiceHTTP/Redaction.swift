#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Keeps credentials out of everything Sluice prints about HTTP: URLs, libcurl messages and
/// response excerpts.
enum Redaction {
    /// `scheme://host:port/path` of `url`: user-info, query and fragment are dropped, because
    /// they may hold passwords or tokens (e.g. `?token=...`).
    static func display(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            return "<unparseable URL>"
        }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "<unparseable URL>"
    }

    /// The credentials a request carries that must never be printed: the bearer token, the URL's
    /// user and password, and the query values.
    static func secrets(of url: URL, bearerToken: String?) -> [String] {
        var secrets: [String] = []
        if let bearerToken { secrets.append(bearerToken) }
        if let components = URLComponents(url: url, resolvingAgainstBaseURL: false) {
            secrets += [components.user, components.password, components.percentEncodedUser,
                        components.percentEncodedPassword].compactMap { $0 }
            secrets += (components.queryItems ?? []).compactMap(\.value)
            if let query = components.percentEncodedQuery { secrets.append(query) }
        }
        // Short strings ("1", "true") would blank out ordinary words; they are not credentials.
        return secrets.filter { $0.count >= 4 }.sorted { $0.count > $1.count }
    }

    /// `text` with every secret and every `Bearer <token>` replaced by `<redacted>`.
    static func scrub(_ text: String, secrets: [String]) -> String {
        var result = text
        for secret in secrets { result = result.replacing(secret, with: "<redacted>") }
        return scrubBearer(result)
    }

    /// Replaces the word after each `Bearer ` (any case) so that echoed Authorization headers vanish.
    private static func scrubBearer(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let range = rest.asciiCaseInsensitiveRange(of: "bearer ") {
            result += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            let token = rest.prefix { !$0.isWhitespace && $0 != "\"" && $0 != "'" && $0 != "," }
            if !token.isEmpty { result += "<redacted>" }
            rest = rest.dropFirst(token.count)
        }
        return result + rest
    }

    /// A short, single-line, secret-free excerpt of a response body for error messages.
    static func excerpt(of body: Data, secrets: [String], limit: Int = 200) -> String {
        let text = String(decoding: body.prefix(limit * 4), as: UTF8.self)
        let oneLine = text.map { $0.isNewline || $0 == "\t" ? " " : $0 }
            .filter { !($0.asciiValue.map { $0 < 0x20 || $0 == 0x7f } ?? false) }
        var excerpt = scrub(String(oneLine), secrets: secrets).trimmingWhitespace()
        if excerpt.count > limit { excerpt = String(excerpt.prefix(limit)) + "…" }
        return excerpt
    }
}
