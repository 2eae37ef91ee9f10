/// An IPv4 or IPv6 address, parsed and printed the way Go's `net/netip` does, which is what
/// Kubernetes and cel-go use for the CEL `ip()` and `cidr()` libraries.
///
/// An IPv4-mapped IPv6 address (`::ffff:c0a8:1`) stays a 16-byte address, as in Go; `ip()`
/// equality compares it with the IPv4 address it maps.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6, network order.
    public let bytes: [UInt8]
    /// The IPv6 zone after `%` (`en0`), or empty. CEL rejects zoned addresses; the parser keeps
    /// the zone so that the caller can say so.
    public let zone: String

    init(bytes: [UInt8], zone: String = "") {
        self.bytes = bytes
        self.zone = zone
    }

    /// Whether this is a 4-byte IPv4 address (an IPv4-mapped IPv6 address is not).
    public var isIPv4: Bool { bytes.count == 4 }

    /// Whether this is an IPv6 address of the form `::ffff:a.b.c.d`.
    public var isIPv4Mapped: Bool {
        bytes.count == 16 && bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
    }

    /// The IPv4 address an IPv4-mapped address stands for; otherwise the address itself.
    public var unmapped: IPAddress {
        isIPv4Mapped ? IPAddress(bytes: Array(bytes[12...])) : self
    }

    /// Parses a textual IPv4 (`192.168.0.1`, no leading zeros) or IPv6 address (`2001:db8::1`,
    /// `::ffff:1.2.3.4`, `fe80::1%en0`), or returns `nil`.
    public static func parse(_ text: String) -> IPAddress? {
        let scalars = Array(text.utf8)
        if scalars.contains(UInt8(ascii: ":")) { return parseIPv6(scalars) }
        return parseIPv4(scalars[...]).map { IPAddress(bytes: $0) }
    }

    /// Four decimal fields 0...255 without leading zeros, as Go requires.
    static func parseIPv4(_ s: ArraySlice<UInt8>) -> [UInt8]? {
        let fields = s.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard fields.count == 4 else { return nil }
        var out: [UInt8] = []
        for field in fields {
            guard !field.isEmpty, field.count <= 3, field.allSatisfy(isDigit) else { return nil }
            if field.count > 1 && field.first == UInt8(ascii: "0") { return nil }
            let value = field.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            guard value <= 255 else { return nil }
            out.append(UInt8(value))
        }
        return out
    }

    static func parseIPv6(_ all: [UInt8]) -> IPAddress? {
        var s = all[...]
        var zone = ""
        if let percent = s.firstIndex(of: UInt8(ascii: "%")) {
            zone = String(decoding: s[(percent + 1)...], as: UTF8.self)
            guard !zone.isEmpty else { return nil }
            s = s[..<percent]
        }
        var groups: [UInt16] = []
        var gap: Int?  // index in `groups` where `::` stands
        var tail: [UInt8] = []  // an embedded IPv4 address, as bytes
        if s.starts(with: [UInt8(ascii: ":"), UInt8(ascii: ":")]) {
            gap = 0
            s = s.dropFirst(2)
        } else if s.first == UInt8(ascii: ":") {
            return nil
        }
        while !s.isEmpty {
            let end = s.firstIndex(of: UInt8(ascii: ":")) ?? s.endIndex
            let field = s[s.startIndex..<end]
            if field.contains(UInt8(ascii: ".")) {
                // Only the last field may be an IPv4 address.
                guard end == s.endIndex, let v4 = parseIPv4(field) else { return nil }
                tail = v4
                s = s[end...]
                break
            }
            guard !field.isEmpty, field.count <= 4, field.allSatisfy(isHexDigit) else { return nil }
            groups.append(field.reduce(0) { $0 << 4 | UInt16(hexValue($1)) })
            s = s[end...]
            if s.isEmpty { break }
            s = s.dropFirst()  // the ':'
            if s.first == UInt8(ascii: ":") {
                guard gap == nil else { return nil }
                gap = groups.count
                s = s.dropFirst()
            } else if s.isEmpty {
                return nil  // a trailing single ':'
            }
        }
        let fieldCount = groups.count + tail.count / 2
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        if let gap {
            // `::` must stand for at least one group of zeros.
            guard fieldCount <= 7 else { return nil }
            for g in groups[..<gap] { bytes += [UInt8(g >> 8), UInt8(g & 0xff)] }
            bytes += [UInt8](repeating: 0, count: 2 * (8 - fieldCount))
            for g in groups[gap...] { bytes += [UInt8(g >> 8), UInt8(g & 0xff)] }
        } else {
            guard fieldCount == 8 else { return nil }
            for g in groups { bytes += [UInt8(g >> 8), UInt8(g & 0xff)] }
        }
        bytes += tail
        return IPAddress(bytes: bytes, zone: zone)
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    static func isHexDigit(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F"))
    }

    static func hexValue(_ c: UInt8) -> UInt8 {
        if isDigit(c) { return c - UInt8(ascii: "0") }
        return (c | 0x20) - UInt8(ascii: "a") + 10
    }

    /// The canonical text: dotted IPv4, or RFC 5952 IPv6 (lower case, longest run of two or
    /// more zero groups shortened to `::`), with `::ffff:a.b.c.d` for IPv4-mapped addresses.
    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        let suffix = zone.isEmpty ? "" : "%" + zone
        if isIPv4Mapped { return "::ffff:" + bytes[12...].map(String.init).joined(separator: ".") + suffix }
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var bestStart = -1, bestLength = 0, i = 0
        while i < 8 {
            guard groups[i] == 0 else { i += 1; continue }
            var j = i
            while j < 8 && groups[j] == 0 { j += 1 }
            if j - i > bestLength && j - i >= 2 { bestStart = i; bestLength = j - i }
            i = j
        }
        func hex(_ range: Range<Int>) -> String { range.map { String(groups[$0], radix: 16) }.joined(separator: ":") }
        guard bestStart >= 0 else { return hex(0..<8) + suffix }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8) + suffix
    }

    /// The address with all but the first `bits` bits cleared.
    func masked(_ bits: Int) -> IPAddress {
        var out = bytes
        for i in out.indices {
            let keep = max(0, min(8, bits - 8 * i))
            out[i] &= keep == 8 ? 0xff : ~(0xff >> UInt8(keep))
        }
        return IPAddress(bytes: out, zone: zone)
    }

    private func hasPrefix(_ prefix: [UInt8], bits: Int) -> Bool {
        masked(bits).bytes == IPAddress(bytes: prefix + [UInt8](repeating: 0, count: bytes.count - prefix.count)).masked(bits).bytes
    }

    // Classification, as Go's netip defines it: IPv4-mapped addresses are classified as the IPv4
    // address they map, except for `isUnspecified`.

    /// `0.0.0.0` or `::`.
    public var isUnspecified: Bool { bytes.allSatisfy { $0 == 0 } }

    /// `127.0.0.0/8` or `::1`.
    public var isLoopback: Bool {
        let a = unmapped
        return a.isIPv4 ? a.bytes[0] == 127 : a.bytes == [UInt8](repeating: 0, count: 15) + [1]
    }

    /// `224.0.0.0/4` or `ff00::/8`.
    public var isMulticast: Bool {
        let a = unmapped
        return a.isIPv4 ? a.hasPrefix([224], bits: 4) : a.bytes[0] == 0xff
    }

    /// `224.0.0.0/24` or `ff02::/16` (any flags nibble).
    public var isLinkLocalMulticast: Bool {
        let a = unmapped
        return a.isIPv4 ? a.hasPrefix([224, 0, 0], bits: 24) : a.bytes[0] == 0xff && a.bytes[1] & 0x0f == 0x02
    }

    /// `169.254.0.0/16` or `fe80::/10`.
    public var isLinkLocalUnicast: Bool {
        let a = unmapped
        return a.isIPv4 ? a.hasPrefix([169, 254], bits: 16) : a.hasPrefix([0xfe, 0x80], bits: 10)
    }

    /// Go's definition: not unspecified, broadcast, loopback, multicast or link-local unicast
    /// (private and unique-local addresses count as global unicast).
    public var isGlobalUnicast: Bool {
        let a = unmapped
        if a.isUnspecified { return false }
        if a.isIPv4 && a.bytes == [255, 255, 255, 255] { return false }
        return !a.isLoopback && !a.isMulticast && !a.isLinkLocalUnicast
    }
}

/// An IP prefix such as `192.168.0.0/24`. The address keeps the bits after the prefix
/// (`192.168.0.1/24` stays as written); `masked` clears them.
public struct IPPrefix: Sendable, Hashable, CustomStringConvertible {
    /// The address as written, host bits included.
    public let address: IPAddress
    /// The prefix length: 0...32 for IPv4, 0...128 for IPv6.
    public let bits: Int

    /// Parses `address/bits`, with `bits` in decimal without leading zeros and at most 32 (IPv4)
    /// or 128 (IPv6); `nil` otherwise. A zone is kept for the caller to reject.
    public static func parse(_ text: String) -> IPPrefix? {
        guard let slash = text.lastIndex(of: "/") else { return nil }
        let bitsText = text[text.index(after: slash)...]
        guard let address = IPAddress.parse(String(text[..<slash])),
              !bitsText.isEmpty, bitsText.count <= 3, bitsText.utf8.allSatisfy(IPAddress.isDigit),
              bitsText == "0" || !bitsText.hasPrefix("0"),
              let bits = Int(bitsText), bits <= address.bytes.count * 8
        else { return nil }
        return IPPrefix(address: address, bits: bits)
    }

    public var description: String { "\(address)/\(bits)" }

    /// The prefix with the host bits of its address cleared.
    public var masked: IPPrefix { IPPrefix(address: address.masked(bits), bits: bits) }

    /// Whether `ip` lies in this prefix; an address of the other family never does.
    public func contains(_ ip: IPAddress) -> Bool {
        ip.bytes.count == address.bytes.count && ip.masked(bits).bytes == address.masked(bits).bytes
    }

    /// Whether every address of `other` lies in this prefix.
    public func contains(_ other: IPPrefix) -> Bool {
        other.bits >= bits && contains(other.address)
    }
}
