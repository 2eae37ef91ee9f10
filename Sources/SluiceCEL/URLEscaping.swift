/// Percent-encoding rules of URL components, as Go's `net/url` applies them (which is what the
/// Kubernetes `url()` library exposes).
enum URLEscaping {
    enum Component { case path, host, zone, userinfo, queryComponent, fragment }

    static func isAlphanumeric(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || IPAddress.isDigit(c)
    }

    /// Whether `c` must be percent-encoded in `component` (only ASCII is asked about).
    static func shouldEscape(_ c: UInt8, _ component: Component) -> Bool {
        if isAlphanumeric(c) { return false }
        if component == .host || component == .zone, "!$&'()*+,;=:[]<>\"".utf8.contains(c) { return false }
        if "-_.~".utf8.contains(c) { return false }
        if "$&+,/:;=?@".utf8.contains(c) {
            switch component {
            case .path: return c == UInt8(ascii: "?")
            case .userinfo: return c == UInt8(ascii: "@") || c == UInt8(ascii: "/") || c == UInt8(ascii: "?") || c == UInt8(ascii: ":")
            case .queryComponent: return true
            case .fragment: return false
            case .host, .zone: return true
            }
        }
        if component == .fragment, "!()*".utf8.contains(c) { return false }
        return true
    }

    static func isUserinfoCharacter(_ c: UInt8) -> Bool {
        isAlphanumeric(c) || "-._:~!$&'()*+,;=%@".utf8.contains(c)
    }

    /// `""` or `:` followed by digits only.
    static func isValidOptionalPort(_ s: Substring) -> Bool {
        if s.isEmpty { return true }
        return s.first == ":" && s.utf8.dropFirst().allSatisfy(IPAddress.isDigit)
    }

    /// Decodes `%XX` escapes (and `+` as space in query components). In a host, escapes may only
    /// encode non-ASCII bytes or `%25`, and ASCII characters outside the host set are rejected.
    static func unescape(_ s: Substring, _ component: Component) throws(KubernetesURL.ParseError) -> String {
        let bytes = Array(s.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "%"):
                guard i + 2 < bytes.count,
                      IPAddress.isHexDigit(bytes[i + 1]), IPAddress.isHexDigit(bytes[i + 2]) else {
                    throw KubernetesURL.ParseError(reason: "invalid URL escape '\(String(decoding: bytes[i..<min(i + 3, bytes.count)], as: UTF8.self))'")
                }
                let value = IPAddress.hexValue(bytes[i + 1]) << 4 | IPAddress.hexValue(bytes[i + 2])
                if component == .host, value < 0x80, value != 0x25 {
                    throw KubernetesURL.ParseError(reason: "invalid URL escape '%\(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self))' in host")
                }
                out.append(value)
                i += 3
            case UInt8(ascii: "+"):
                out.append(component == .queryComponent ? UInt8(ascii: " ") : c)
                i += 1
            default:
                if (component == .host || component == .zone), c < 0x80, shouldEscape(c, component) {
                    throw KubernetesURL.ParseError(reason: "invalid character '\(String(UnicodeScalar(c)))' in host name")
                }
                out.append(c)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Encodes a decoded path with upper-case `%XX` escapes where Go would.
    static func escapePath(_ s: String) -> String {
        var out = ""
        for c in s.utf8 {
            if c < 0x80 && !shouldEscape(c, .path) {
                out.unicodeScalars.append(UnicodeScalar(c))
            } else {
                out += "%" + String(c >> 4, radix: 16, uppercase: true) + String(c & 0xf, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// Whether a path as written is a valid encoding (RFC 3986 `pchar`s, `/`, `[`, `]`, escapes).
    static func isValidEncodedPath(_ s: String) -> Bool {
        s.utf8.allSatisfy { c in
            "!$&'()*+,;=:@[]%".utf8.contains(c) || (c < 0x80 && !shouldEscape(c, .path))
        }
    }
}
