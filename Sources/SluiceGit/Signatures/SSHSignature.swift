import Crypto
import _CryptoExtras
import Foundation

/// An SSH public key as OpenSSH encodes it (RFC 4253 §6.6, RFC 5656, RFC 8709): the type name and
/// the key blob, from which its fingerprint is derived.
public struct SSHPublicKey: Sendable, Hashable {
    /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ecdsa-sha2-nistp384`, `ssh-rsa`, ...
    public var type: String
    /// The whole wire encoding (type name included), as in authorized_keys after base64 decoding.
    public var blob: [UInt8]

    public init(blob: [UInt8]) throws(SSHFormatError) {
        var reader = SSHWireReader(blob)
        type = try reader.text()
        self.blob = blob
    }

    /// `SHA256:<base64 without padding>`, as `ssh-keygen -l` prints it.
    public var fingerprint: String {
        let digest = Data(SHA256.hash(data: blob)).base64EncodedString()
        return "SHA256:" + digest.replacingOccurrences(of: "=", with: "")
    }

    /// The key types whose signatures Sluice verifies.
    public static let supportedTypes: Set<String> = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ssh-rsa"]

    /// Whether `signature` (an SSH signature: type name and blob) signs `data` with this key.
    /// Throws when the key or signature type is not supported or malformed; returns false when
    /// the signature simply does not match.
    func isValidSignature(_ signature: [UInt8], for data: [UInt8]) throws(SSHFormatError) -> Bool {
        var key = SSHWireReader(blob)
        _ = try key.text()
        var sig = SSHWireReader(signature)
        let algorithm = try sig.text()
        let raw = try sig.bytes()
        do {
            switch type {
            case "ssh-ed25519":
                guard algorithm == "ssh-ed25519" else { throw SSHFormatError("an ssh-ed25519 key with a \(algorithm) signature") }
                let publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: try key.bytes())
                return publicKey.isValidSignature(raw, for: data)
            case "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384":
                guard algorithm == type else { throw SSHFormatError("an \(type) key with a \(algorithm) signature") }
                let curve = try key.text()
                guard "ecdsa-sha2-" + curve == type else { throw SSHFormatError("an \(type) key on curve \(curve)") }
                let point = try key.bytes()
                var parts = SSHWireReader(raw)
                let r = try parts.mpint(), s = try parts.mpint()
                if type == "ecdsa-sha2-nistp256" {
                    let publicKey = try P256.Signing.PublicKey(x963Representation: point)
                    let signature = try P256.Signing.ECDSASignature(rawRepresentation: try Self.fixed(r, 32) + Self.fixed(s, 32))
                    return publicKey.isValidSignature(signature, for: data)
                }
                let publicKey = try P384.Signing.PublicKey(x963Representation: point)
                let signature = try P384.Signing.ECDSASignature(rawRepresentation: try Self.fixed(r, 48) + Self.fixed(s, 48))
                return publicKey.isValidSignature(signature, for: data)
            case "ssh-rsa":
                let e = try key.mpint(), n = try key.mpint()
                let modulus = Array(n.drop { $0 == 0 })
                // OpenSSH accepts 1024-bit RSA keys; keys under 2048 bits are breakable by well-funded attackers.
                guard modulus.count * 8 >= 2048 else { throw SSHFormatError("an RSA key of \(modulus.count * 8) bits (at least 2048 are required)") }
                let publicKey = try _RSA.Signing.PublicKey(n: modulus, e: Array(e.drop { $0 == 0 }))
                // A signature shorter than the modulus lost leading zero bytes; OpenSSH pads it back.
                guard raw.count <= modulus.count else { return false }
                let padded = RSASignaturePadding.leftPad(Array(raw), to: modulus.count)
                let signature = _RSA.Signing.RSASignature(rawRepresentation: padded)
                switch algorithm {
                case "rsa-sha2-512":
                    return publicKey.isValidSignature(signature, for: SHA512.hash(data: data), padding: .insecurePKCS1v1_5)
                case "rsa-sha2-256":
                    return publicKey.isValidSignature(signature, for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5)
                default:
                    throw SSHFormatError("an RSA signature of type \(algorithm) (SSH signatures use rsa-sha2-256 or rsa-sha2-512; ssh-rsa means SHA-1)")
                }
            default:
                throw SSHFormatError("key type \(type)")
            }
        } catch let error as SSHFormatError {
            throw error
        } catch {
            throw SSHFormatError("a \(type) key or signature that swift-crypto refuses (\(error))")
        }
    }

    /// An SSH mpint (big-endian, a leading zero when the high bit is set) as exactly `width` bytes.
    private static func fixed(_ value: ArraySlice<UInt8>, _ width: Int) throws(SSHFormatError) -> [UInt8] {
        let trimmed = Array(value.drop { $0 == 0 })
        guard trimmed.count <= width else { throw SSHFormatError("an ECDSA signature component of \(trimmed.count) bytes") }
        return RSASignaturePadding.leftPad(trimmed, to: width)
    }
}

enum RSASignaturePadding {
    static func leftPad(_ bytes: [UInt8], to width: Int) -> [UInt8] {
        bytes.count >= width ? bytes : [UInt8](repeating: 0, count: width - bytes.count) + bytes
    }
}

/// Bytes that do not follow the SSH wire format or the SSHSIG layout, or a type Sluice does not verify.
public struct SSHFormatError: Error, Hashable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Reads the SSH wire format (RFC 4251 §5): uint32, string, mpint. Every length is checked
/// against what is left, so hostile input cannot make it read past the end or allocate much.
struct SSHWireReader {
    private let buffer: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { buffer = bytes }
    init(_ bytes: ArraySlice<UInt8>) { buffer = Array(bytes) }

    var isAtEnd: Bool { offset == buffer.count }

    mutating func uint32() throws(SSHFormatError) -> UInt32 {
        guard buffer.count - offset >= 4 else { throw SSHFormatError("a field that ends early") }
        let value = buffer[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        offset += 4
        return value
    }

    mutating func bytes() throws(SSHFormatError) -> ArraySlice<UInt8> {
        let length = Int(try uint32())
        guard length <= buffer.count - offset else { throw SSHFormatError("a field of \(length) bytes where \(buffer.count - offset) are left") }
        defer { offset += length }
        return buffer[offset..<offset + length]
    }

    mutating func text() throws(SSHFormatError) -> String {
        let raw = try bytes()
        guard raw.count <= 256, let text = String(bytes: raw, encoding: .utf8) else { throw SSHFormatError("a name that is not short UTF-8 text") }
        return text
    }

    /// A non-negative mpint; a negative one is refused (no key or signature component is negative).
    mutating func mpint() throws(SSHFormatError) -> ArraySlice<UInt8> {
        let raw = try bytes()
        if let first = raw.first, first & 0x80 != 0 { throw SSHFormatError("a negative integer") }
        return raw
    }

    mutating func raw(_ count: Int) throws(SSHFormatError) -> ArraySlice<UInt8> {
        guard count <= buffer.count - offset else { throw SSHFormatError("a field that ends early") }
        defer { offset += count }
        return buffer[offset..<offset + count]
    }
}

/// An armored SSH signature (`-----BEGIN SSH SIGNATURE-----`) in the SSHSIG format of OpenSSH's
/// PROTOCOL.sshsig: the public key, the namespace, the hash algorithm and the signature over
/// `"SSHSIG" || string(namespace) || string(reserved) || string(hash algorithm) || string(H(message))`.
public struct SSHSignature: Sendable, Hashable {
    public var publicKey: SSHPublicKey
    public var namespace: String
    public var hashAlgorithm: String
    /// The SSH signature blob (type name and raw signature).
    var signature: [UInt8]
    var reserved: [UInt8]

    static let armorBegin = "-----BEGIN SSH SIGNATURE-----"
    static let armorEnd = "-----END SSH SIGNATURE-----"
    private static let magic = Array("SSHSIG".utf8)
    /// Far above any real signature (an RSA-16384 one is about 4.5 KiB armored).
    static let maximumArmoredSize = 64 * 1024

    public init(armored: [UInt8]) throws(SSHFormatError) {
        guard armored.count <= Self.maximumArmoredSize else { throw SSHFormatError("an armored signature of \(armored.count) bytes") }
        guard let text = String(bytes: armored, encoding: .utf8) else { throw SSHFormatError("an armored signature that is not text") }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard lines.first == Self.armorBegin, lines.last == Self.armorEnd, lines.count >= 3 else {
            throw SSHFormatError("a signature without the SSH SIGNATURE armor lines")
        }
        guard let blob = Data(base64Encoded: lines.dropFirst().dropLast().joined()) else { throw SSHFormatError("a signature that is not base64") }
        try self.init(blob: Array(blob))
    }

    init(blob: [UInt8]) throws(SSHFormatError) {
        var reader = SSHWireReader(blob)
        guard Array(try reader.raw(6)) == Self.magic else { throw SSHFormatError("a signature without the SSHSIG magic") }
        let version = try reader.uint32()
        guard version == 1 else { throw SSHFormatError("SSHSIG version \(version)") }
        publicKey = try SSHPublicKey(blob: Array(try reader.bytes()))
        namespace = try reader.text()
        reserved = Array(try reader.bytes())
        hashAlgorithm = try reader.text()
        signature = Array(try reader.bytes())
        guard reader.isAtEnd else { throw SSHFormatError("trailing bytes after the signature") }
    }

    /// Whether the signature signs `message` (the namespace is checked by the caller, who knows
    /// which one it expects). Throws for unsupported hash algorithms and key types.
    public func isValid(for message: [UInt8]) throws(SSHFormatError) -> Bool {
        let digest: [UInt8]
        switch hashAlgorithm {
        case "sha512": digest = Array(SHA512.hash(data: message))
        case "sha256": digest = Array(SHA256.hash(data: message))
        default: throw SSHFormatError("hash algorithm \(hashAlgorithm)")
        }
        var signed = Self.magic
        for field in [Array(namespace.utf8), reserved, Array(hashAlgorithm.utf8), digest] {
            let count = UInt32(field.count)
            signed += [UInt8(count >> 24), UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff), UInt8(count & 0xff)] + field
        }
        return try publicKey.isValidSignature(signature, for: signed)
    }
}
