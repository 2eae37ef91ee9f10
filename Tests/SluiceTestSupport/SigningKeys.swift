import Foundation

/// An SSH key pair made by the real `ssh-keygen`, for `git commit -S` with `gpg.format ssh`.
public struct SSHSigningKey: Sendable {
    public let privateKeyPath: String
    /// `<type> <base64>`, as an allowed signers line wants it.
    public let publicKey: String
    /// `SHA256:...`, as `ssh-keygen -l` prints it.
    public let fingerprint: String

    /// `ssh-keygen -t <type> [-b <bits>]` without a passphrase, in `directory`.
    public static func generate(in directory: URL, name: String, type: String, bits: Int? = nil) throws -> SSHSigningKey {
        let path = directory.appendingPathComponent(name).path
        var arguments = ["-q", "-t", type, "-N", "", "-C", name, "-f", path]
        if let bits { arguments += ["-b", String(bits)] }
        try runProcess("/usr/bin/ssh-keygen", arguments)
        let publicLine = try String(contentsOfFile: path + ".pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        let listed = try runProcess("/usr/bin/ssh-keygen", ["-l", "-E", "sha256", "-f", path + ".pub"]).stdout
        let fingerprint = listed.split(separator: " ").map(String.init).first { $0.hasPrefix("SHA256:") } ?? ""
        return SSHSigningKey(privateKeyPath: path, publicKey: publicLine, fingerprint: fingerprint)
    }

    /// `git -c` settings that sign with this key.
    public var gitConfig: [String] { ["-c", "gpg.format=ssh", "-c", "user.signingkey=\(privateKeyPath)"] }

    /// `principals [options] key`.
    public func allowedSignersLine(_ principals: String, options: String? = nil) -> String {
        [principals, options, publicKey].compactMap { $0 }.joined(separator: " ")
    }

    /// `ssh-keygen -Y sign -n <namespace>` over `data`: the armored signature.
    public func sign(_ data: [UInt8], namespace: String, hashAlgorithm: String? = nil, in directory: URL) throws -> String {
        let file = directory.appendingPathComponent("to-sign-\(UUID().uuidString.prefix(8))")
        try Data(data).write(to: file)
        var arguments = ["-Y", "sign", "-n", namespace, "-f", privateKeyPath]
        if let hashAlgorithm { arguments += ["-O", "hashalg=\(hashAlgorithm)"] }
        try runProcess("/usr/bin/ssh-keygen", arguments + [file.path])
        return try String(contentsOfFile: file.path + ".sig", encoding: .utf8)
    }
}

/// A throwaway GnuPG home (`GNUPGHOME`) with keys made by the real `gpg` in batch mode, no passphrase.
/// Its gpg-agent is stopped when the value is released.
public final class GPGHome: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public var path: String { directory.path + "/gnupg" }
    public var environment: [String: String] { ["GNUPGHOME": path] }

    public init() throws {
        directory = try TemporaryDirectory(prefix: "sluice-gpg")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
    }

    deinit { _ = try? runProcess("/usr/bin/gpgconf", ["--kill", "all"], environment: environment, check: false) }

    /// Runs gpg in this home.
    @discardableResult
    public func gpg(_ arguments: [String], fakedTime: String? = nil) throws -> ProcessResult {
        let time = fakedTime.map { ["--faked-system-time", $0] } ?? []
        return try runProcess("/usr/bin/gpg", ["--batch", "--no-tty", "--passphrase", "", "--pinentry-mode", "loopback"] + time + arguments,
                              environment: environment)
    }

    /// A new ed25519 signing key for `userID` (created at `fakedTime` when given, e.g. `20200101T000000`); its fingerprint.
    public func generateKey(_ userID: String, expire: String = "1y", fakedTime: String? = nil) throws -> String {
        try gpg(["--quick-gen-key", userID, "ed25519", "sign", expire], fakedTime: fakedTime)
        let listing = try gpg(["--with-colons", "--list-keys", userID]).stdout
        guard let line = listing.split(separator: "\n").first(where: { $0.hasPrefix("fpr:") }) else {
            throw SubprocessError(description: "gpg made no key for \(userID)")
        }
        return line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)[9]
    }

    /// Revokes a key with the revocation certificate gpg stored when it made the key.
    public func revoke(_ fingerprint: String) throws {
        let certificate = try String(contentsOfFile: "\(path)/openpgp-revocs.d/\(fingerprint).rev", encoding: .utf8)
            .replacingOccurrences(of: ":-----BEGIN", with: "-----BEGIN")
        let file = directory.url.appendingPathComponent("\(fingerprint).rev")
        try certificate.write(to: file, atomically: true, encoding: .utf8)
        try gpg(["--import", file.path])
    }

    /// `gpg --export` (binary) of `fingerprints` into a keyring file for gpgv; its path.
    public func exportKeyring(_ fingerprints: [String], name: String = "keyring.gpg") throws -> String {
        let file = directory.url.appendingPathComponent(name).path
        try gpg(["--output", file, "--yes", "--export"] + fingerprints)
        return file
    }

    /// `git -c` settings that sign with `fingerprint` (through a gpg that believes it is `fakedTime`).
    public func gitConfig(_ fingerprint: String, fakedTime: String? = nil) throws -> [String] {
        var config = ["-c", "gpg.format=openpgp", "-c", "user.signingkey=\(fingerprint)"]
        if let fakedTime {
            let wrapper = directory.url.appendingPathComponent("gpg-at-\(fakedTime)")
            try "#!/bin/sh\nexec /usr/bin/gpg --faked-system-time \(fakedTime) \"$@\"\n".write(to: wrapper, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper.path)
            config += ["-c", "gpg.program=\(wrapper.path)"]
        }
        return config
    }
}

/// Runs `git` like `git(_:in:)` with extra `-c` settings (a signing key) and environment (GNUPGHOME, dates).
@discardableResult
public func git(_ arguments: [String], in directory: URL, config: [String], environment: [String: String] = [:]) throws -> String {
    try runProcess("/usr/bin/git", ["-c", "user.name=Sluice Test", "-c", "user.email=test@localhost",
                                    "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"] + config + arguments,
                   in: directory, environment: ["GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"].merging(environment) { $1 })
        .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}
