import Foundation

/// Helpers for repository URLs: what may be shown to people, and where a cache lives.
enum GitURL {
    /// The URL with any user name and password removed, safe for messages and logs.
    static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let afterScheme = url[scheme.upperBound...]
        let authorityEnd = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@") else { return url }
        return String(url[..<scheme.upperBound]) + String(afterScheme[afterScheme.index(after: at)...])
    }

    /// Whether libgit2 will use its SSH transport for `url` (`ssh://` or scp-like `user@host:path`).
    static func isSSH(_ url: String) -> Bool {
        let lower = url.lowercased()
        if lower.hasPrefix("ssh://") || lower.hasPrefix("ssh+git://") || lower.hasPrefix("git+ssh://") { return true }
        return !url.contains("://") && url.contains("@") && url.contains(":") && !url.hasPrefix("/")
    }

    /// The port written into a `scheme://` URL, if any (scp-like URLs have none).
    static func port(_ url: String) -> Int? {
        guard url.contains("://") else { return nil }
        return URLComponents(string: url)?.port
    }

    /// The user name and password written into `url`, if any (to mask them in messages).
    static func userInfoParts(_ url: String) -> [String] {
        guard let scheme = url.range(of: "://") else { return [] }
        let afterScheme = url[scheme.upperBound...]
        let authority = afterScheme[..<(afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex)]
        guard let at = authority.lastIndex(of: "@") else { return [] }
        return authority[..<at].split(separator: ":", maxSplits: 1).map(String.init)
    }

    /// A stable, readable folder name for a repository's cache: host and path, plus a short hash
    /// of the credential-free URL so that two similar URLs never share a cache.
    static func cacheName(for url: String) -> String {
        let clean = redacted(url)
        var readable = clean.replacingOccurrences(of: "://", with: "_")
        readable = String(readable.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" })
        if readable.count > 80 { readable = String(readable.suffix(80)) }
        return "\(readable)-\(fnv1a(clean))"
    }

    private static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash & 0xffff_ffff, radix: 16)
    }
}
