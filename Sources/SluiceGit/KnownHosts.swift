import Crypto
import Foundation
import SluiceCore

/// The host keys an OpenSSH `known_hosts` file pins: plain host patterns (`host`,
/// `[host]:port`, comma-separated) and hashed ones (`|1|salt|hash`, as `ssh-keygen -H` writes
/// them). Wildcard patterns and `@cert-authority` lines are not supported; `@revoked` keys are
/// never accepted.
struct KnownHosts: Sendable {
    struct Entry: Sendable {
        enum Hosts: Sendable {
            case names(Set<String>)
            case hashed(salt: [UInt8], hash: [UInt8])
        }
        var hosts: Hosts
        var keyType: String
        var key: [UInt8]
        var revoked: Bool
    }

    let path: String
    let entries: [Entry]

    init(path: String) throws {
        self.path = path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw GitError(.unreachable, "cannot read the known hosts file \(path)",
                           hint: "write the server's key into it, e.g. ssh-keyscan -p <port> <host> > \(path)")
        }
        entries = text.split(whereSeparator: \.isNewline).compactMap(Self.entry)
    }

    private static func entry(_ line: Substring) -> Entry? {
        var fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let first = fields.first, !first.hasPrefix("#") else { return nil }
        var revoked = false
        if first.hasPrefix("@") {
            guard first == "@revoked" else { return nil }
            revoked = true
            fields.removeFirst()
        }
        guard fields.count >= 3, let key = Data(base64Encoded: fields[2]) else { return nil }
        let hosts: Entry.Hosts
        if fields[0].hasPrefix("|1|") {
            let parts = fields[0].split(separator: "|")
            guard parts.count == 3, let salt = Data(base64Encoded: String(parts[1])), let hash = Data(base64Encoded: String(parts[2])) else { return nil }
            hosts = .hashed(salt: [UInt8](salt), hash: [UInt8](hash))
        } else {
            hosts = .names(Set(fields[0].split(separator: ",").map { $0.lowercased() }))
        }
        return Entry(hosts: hosts, keyType: fields[1], key: [UInt8](key), revoked: revoked)
    }

    /// The name OpenSSH looks up: `host`, or `[host]:port` for another port than 22.
    static func lookupName(host: String, port: Int?) -> String {
        guard let port, port != 22 else { return host.lowercased() }
        return "[\(host.lowercased())]:\(port)"
    }

    /// Whether `key` (the server's raw public key blob) is pinned for `host` and not revoked.
    func accepts(_ key: [UInt8], host: String, port: Int?) -> Bool {
        let name = Self.lookupName(host: host, port: port)
        let matching = entries.filter { Self.matches($0.hosts, name) && $0.key == key }
        return !matching.isEmpty && !matching.contains(where: \.revoked)
    }

    private static func matches(_ hosts: Entry.Hosts, _ name: String) -> Bool {
        switch hosts {
        case .names(let names): return names.contains(name)
        case .hashed(let salt, let hash):
            let code = HMAC<Insecure.SHA1>.authenticationCode(for: Array(name.utf8), using: SymmetricKey(data: salt))
            return ConstantTime.equal(Array(code), hash)
        }
    }

    /// `SHA256:<base64>` as `ssh-keygen -l` prints a key's fingerprint.
    static func fingerprint(_ key: [UInt8]) -> String {
        let digest = Data(SHA256.hash(data: key)).base64EncodedString()
        return "SHA256:" + digest.replacingOccurrences(of: "=", with: "")
    }
}
