/// A URL as the Kubernetes CEL `url()` function sees it: an absolute URI (`https://host:8080/p?q`)
/// or an absolute path (`/p?q`), validated like Go's `url.ParseRequestURI` and split like Go's
/// `url.Parse` (so a `#fragment` is not part of the path or query).
public struct KubernetesURL: Sendable, Hashable, CustomStringConvertible {
    /// The text the URL was parsed from.
    public let text: String
    /// The scheme in lower case (`https`), or empty for an absolute path.
    public let scheme: String
    /// Host and optional port, decoded (`example.com:80`, `[::1]:80`), or empty.
    public let host: String
    /// The path, percent-decoded.
    public let path: String
    /// The path as written, when it differs from the default encoding of `path`.
    let rawPath: String
    /// The query after `?`, as written (without the `?`).
    public let rawQuery: String

    public var description: String { text }

    /// Why a text is not a URL.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// What is wrong with the text, as Go's URL parser words it.
        public let reason: String
        public var description: String {
            "URL parse error during conversion from string: \(reason); a URL is an absolute URI (https://example.com/path) or an absolute path (/path)"
        }
    }

    /// Parses `text`, or throws when Kubernetes' `url()` would reject it.
    public static func parse(_ text: String) throws(ParseError) -> KubernetesURL {
        _ = try Parts(text, viaRequest: true)
        var withoutFragment = Substring(text)
        if let hash = text.firstIndex(of: "#") {
            withoutFragment = text[..<hash]
            _ = try URLEscaping.unescape(text[text.index(after: hash)...], .fragment)
        }
        let parts = try Parts(String(withoutFragment), viaRequest: false)
        return KubernetesURL(text: text, scheme: parts.scheme, host: parts.host, path: parts.path, rawPath: parts.rawPath, rawQuery: parts.rawQuery)
    }

    /// The host without port or IPv6 brackets (`::1`).
    public var hostname: String { Self.splitHostPort(host).host }

    /// The port digits, or empty.
    public var port: String { Self.splitHostPort(host).port }

    /// The path percent-encoded: as written when that is a valid encoding, else re-encoded
    /// (`/with space` becomes `/with%20space`).
    public var escapedPath: String {
        if !rawPath.isEmpty, URLEscaping.isValidEncodedPath(rawPath) { return rawPath }
        if path == "*" { return "*" }
        return URLEscaping.escapePath(path)
    }

    /// The query as a map from key to values, in order of appearance. `+` means space; pairs
    /// with bad escapes or a `;` are left out, as Go does.
    public var query: [(key: String, values: [String])] {
        var result: [(key: String, values: [String])] = []
        for pair in rawQuery.split(separator: "&", omittingEmptySubsequences: true) where !pair.contains(";") {
            let key: Substring, value: Substring
            if let eq = pair.firstIndex(of: "=") {
                key = pair[..<eq]
                value = pair[pair.index(after: eq)...]
            } else {
                key = pair
                value = ""
            }
            guard let k = try? URLEscaping.unescape(key, .queryComponent),
                  let v = try? URLEscaping.unescape(value, .queryComponent) else { continue }
            if let i = result.firstIndex(where: { $0.key == k }) {
                result[i].values.append(v)
            } else {
                result.append((k, [v]))
            }
        }
        return result
    }

    static func splitHostPort(_ hostPort: String) -> (host: String, port: String) {
        var host = Substring(hostPort), port: Substring = ""
        if let colon = host.lastIndex(of: ":"), URLEscaping.isValidOptionalPort(host[colon...]) {
            port = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return (String(host), String(port))
    }

    /// One pass of Go's URL parser over a text without fragment handling.
    struct Parts {
        var scheme = "", host = "", path = "", rawPath = "", rawQuery = ""

        init(_ raw: String, viaRequest: Bool) throws(ParseError) {
            if raw.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) { throw ParseError(reason: "invalid control character in URL") }
            if raw.isEmpty && viaRequest { throw ParseError(reason: "empty url") }
            if raw == "*" { path = "*"; return }
            var rest = Substring(raw)
            if let (scheme, afterScheme) = try Self.splitScheme(rest) {
                self.scheme = scheme.lowercased()
                rest = afterScheme
            }
            if rest.hasSuffix("?") && rest.filter({ $0 == "?" }).count == 1 {
                rest = rest.dropLast()
            } else if let question = rest.firstIndex(of: "?") {
                rawQuery = String(rest[rest.index(after: question)...])
                rest = rest[..<question]
            }
            if !rest.hasPrefix("/") {
                // `mailto:x@example.com`: an opaque URI, with no host or path.
                if !scheme.isEmpty { return }
                if viaRequest { throw ParseError(reason: "invalid URI for request: '\(raw)' is neither an absolute URI nor an absolute path") }
                if (rest.split(separator: "/", maxSplits: 1).first ?? "").contains(":") {
                    throw ParseError(reason: "first path segment in URL cannot contain colon")
                }
            }
            if (!scheme.isEmpty || (!viaRequest && !rest.hasPrefix("///"))) && rest.hasPrefix("//") {
                var authority = rest.dropFirst(2)
                rest = ""
                if let slash = authority.firstIndex(of: "/") {
                    rest = authority[slash...]
                    authority = authority[..<slash]
                }
                host = try Self.parseAuthority(authority)
            }
            path = try URLEscaping.unescape(rest, .path)
            if URLEscaping.escapePath(path) != rest { rawPath = String(rest) }
        }

        /// The scheme and the rest after `:`, or `nil` when the text has no scheme.
        static func splitScheme(_ s: Substring) throws(ParseError) -> (Substring, Substring)? {
            for (offset, c) in s.utf8.enumerated() {
                switch c {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): continue
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
                    if offset == 0 { return nil }
                case UInt8(ascii: ":"):
                    if offset == 0 { throw ParseError(reason: "missing protocol scheme") }
                    let colon = s.utf8.index(s.startIndex, offsetBy: offset)
                    return (s[..<colon], s[s.index(after: colon)...])
                default: return nil
                }
            }
            return nil
        }

        /// `userinfo@host:port` → the decoded `host:port`; the user info is checked, then dropped.
        static func parseAuthority(_ authority: Substring) throws(ParseError) -> String {
            var hostPart = authority
            if let at = authority.lastIndex(of: "@") {
                let userinfo = authority[..<at]
                guard userinfo.utf8.allSatisfy(URLEscaping.isUserinfoCharacter) else { throw ParseError(reason: "invalid userinfo") }
                _ = try URLEscaping.unescape(userinfo, .userinfo)
                hostPart = authority[authority.index(after: at)...]
            }
            return try parseHost(hostPart)
        }

        static func parseHost(_ host: Substring) throws(ParseError) -> String {
            if host.hasPrefix("[") {
                guard let close = host.lastIndex(of: "]") else { throw ParseError(reason: "missing ']' in host") }
                let colonPort = host[host.index(after: close)...]
                guard URLEscaping.isValidOptionalPort(colonPort) else { throw ParseError(reason: "invalid port '\(colonPort)' after host") }
                let inside = host[..<close]
                // An IPv6 zone is written `%25zone` and may hold escapes; the rest may not.
                if let zone = inside.range(of: "%25") {
                    let address = try URLEscaping.unescape(inside[..<zone.lowerBound], .host)
                    let zoneText = try URLEscaping.unescape(inside[zone.upperBound...], .zone)
                    return address + "%" + zoneText + (try URLEscaping.unescape(host[close...], .host))
                }
            } else if let colon = host.lastIndex(of: ":") {
                let colonPort = host[colon...]
                guard URLEscaping.isValidOptionalPort(colonPort) else { throw ParseError(reason: "invalid port '\(colonPort)' after host") }
            }
            return try URLEscaping.unescape(host, .host)
        }
    }
}
