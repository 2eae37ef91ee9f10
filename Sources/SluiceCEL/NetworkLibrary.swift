import Foundation

/// The CEL `ip()` and `cidr()` library of Kubernetes (and cel-go's network extension):
/// `ip(string)`, `isIP(string)`, `ip.isCanonical(string)`, `cidr(string)`, `isCIDR(string)`
/// and the methods of `net.IP` and `net.CIDR`.
enum NetworkLibrary {
    static let ipType = "net.IP"
    static let cidrType = "net.CIDR"

    /// The global functions of the library, or `nil` for a name it does not define.
    static func call(_ name: String, _ args: [CELValue]) throws -> CELValue? {
        switch name {
        case "ip", "isIP", "ip.isCanonical", "cidr", "isCIDR": break
        default: return nil
        }
        guard args.count == 1, case .string(let text) = args[0] else { throw Functions.noOverload(name, nil, args) }
        switch name {
        case "ip": return .object(CELIPAddress(try parseIP(text)))
        case "isIP": return .bool((try? parseIP(text)) != nil)
        case "ip.isCanonical": return .bool(try parseIP(text).description == text)
        case "cidr": return .object(CELIPPrefix(try parseCIDR(text)))
        default: return .bool((try? parseCIDR(text)) != nil)
        }
    }

    /// An address as `ip()` accepts it: no zone, and no IPv4 address written inside an IPv6 one.
    static func parseIP(_ text: String) throws -> IPAddress {
        guard let address = IPAddress.parse(text) else {
            throw CELError("IP Address '\(text)' parse error during conversion from string")
        }
        guard address.zone.isEmpty else { throw CELError("IP Address with zone value is not allowed") }
        if address.isIPv4Mapped && text.contains(".") { throw CELError("IPv4-mapped IPv6 address is not allowed") }
        return address
    }

    /// A prefix as `cidr()` accepts it, with the same rules for its address as `ip()`.
    static func parseCIDR(_ text: String) throws -> IPPrefix {
        guard let prefix = IPPrefix.parse(text) else {
            throw CELError("network address parse error during conversion from string: '\(text)' is not a CIDR such as 10.0.0.0/8")
        }
        guard prefix.address.zone.isEmpty else { throw CELError("CIDR with zone value is not allowed") }
        if prefix.address.isIPv4Mapped && text.contains(".") { throw CELError("IPv4-mapped IPv6 address is not allowed") }
        return prefix
    }
}

/// A `net.IP` value.
struct CELIPAddress: CELObject {
    let address: IPAddress

    init(_ address: IPAddress) { self.address = address }

    var typeName: String { NetworkLibrary.ipType }
    var description: String { address.description }

    /// An IPv4-mapped IPv6 address equals the IPv4 address it maps.
    func celEquals(_ other: any CELObject) -> Bool {
        guard let other = other as? CELIPAddress else { return false }
        return address.unmapped.bytes == other.address.unmapped.bytes
    }

    func call(_ name: String, _ args: [CELValue]) throws -> CELValue {
        guard args.isEmpty else { throw Functions.noOverload(name, .object(self), args) }
        switch name {
        case "family": return .int(address.isIPv4 ? 4 : 6)
        case "isUnspecified": return .bool(address.isUnspecified)
        case "isLoopback": return .bool(address.isLoopback)
        case "isGlobalUnicast": return .bool(address.isGlobalUnicast)
        case "isLinkLocalMulticast": return .bool(address.isLinkLocalMulticast)
        case "isLinkLocalUnicast": return .bool(address.isLinkLocalUnicast)
        default: throw Functions.noOverload(name, .object(self), args)
        }
    }
}

/// A `net.CIDR` value.
struct CELIPPrefix: CELObject {
    let prefix: IPPrefix

    init(_ prefix: IPPrefix) { self.prefix = prefix }

    var typeName: String { NetworkLibrary.cidrType }
    var description: String { prefix.description }

    /// Equal when address (as written, not masked) and prefix length are equal.
    func celEquals(_ other: any CELObject) -> Bool {
        guard let other = other as? CELIPPrefix else { return false }
        return prefix.address.bytes == other.prefix.address.bytes && prefix.bits == other.prefix.bits
    }

    func call(_ name: String, _ args: [CELValue]) throws -> CELValue {
        switch (name, args.count) {
        case ("containsIP", 1):
            switch args[0] {
            case .string(let s): return .bool(prefix.contains(try NetworkLibrary.parseIP(s)))
            case .object(let o as CELIPAddress): return .bool(prefix.contains(o.address))
            default: break
            }
        case ("containsCIDR", 1):
            switch args[0] {
            case .string(let s): return .bool(prefix.contains(try NetworkLibrary.parseCIDR(s)))
            case .object(let o as CELIPPrefix): return .bool(prefix.contains(o.prefix))
            default: break
            }
        case ("ip", 0): return .object(CELIPAddress(prefix.address))
        case ("masked", 0): return .object(CELIPPrefix(prefix.masked))
        case ("prefixLength", 0): return .int(Int64(prefix.bits))
        default: break
        }
        throw Functions.noOverload(name, .object(self), args)
    }
}
