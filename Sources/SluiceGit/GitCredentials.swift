import Foundation
import SluiceCore

/// How to authenticate to a remote, by reference only: an environment variable or a file holds
/// the secret, never the spec or the command line.
public struct GitCredentials: Sendable, Hashable {
    /// An SSH key pair on disk, with an optional passphrase source.
    public struct SSHKey: Sendable, Hashable {
        public var privateKeyPath: String
        public var publicKeyPath: String?
        public var passphrase: SecretReference?

        /// A key pair; without `publicKeyPath` libgit2 derives the public key from the private one.
        public init(privateKeyPath: String, publicKeyPath: String? = nil, passphrase: SecretReference? = nil) {
            self.privateKeyPath = privateKeyPath
            self.publicKeyPath = publicKeyPath
            self.passphrase = passphrase
        }
    }

    /// An HTTPS token, sent as the basic-auth password.
    public var token: SecretReference?
    /// The HTTPS user name that goes with the token (forges accept any; GitHub documents this one).
    public var username: String
    /// A private key file for `ssh://` and `user@host:path` URLs.
    public var sshKey: SSHKey?
    /// Ask a running ssh-agent (`SSH_AUTH_SOCK`) when no key file is given.
    public var useSSHAgent: Bool
    /// A `known_hosts` file that pins the SSH server's host key; `nil` uses libgit2's default,
    /// `~/.ssh/known_hosts`. An unknown or changed key is refused either way.
    public var knownHostsFile: String?

    /// Credentials that name where secrets live; the default asks only ssh-agent, and only for SSH.
    public init(token: SecretReference? = nil, username: String = "x-access-token", sshKey: SSHKey? = nil, useSSHAgent: Bool = true,
                knownHostsFile: String? = nil) {
        self.knownHostsFile = knownHostsFile
        self.token = token
        self.username = username
        self.sshKey = sshKey
        self.useSSHAgent = useSSHAgent
    }

    /// A description of the credentials that names where they come from, never their value.
    var summary: String {
        var parts: [String] = []
        if let token { parts.append("token from \(token) with user \(username)") }
        if let sshKey { parts.append("SSH key \(sshKey.privateKeyPath)") }
        if sshKey == nil, useSSHAgent { parts.append("ssh-agent for ssh:// URLs") }
        return parts.joined(separator: ", ")
    }

    /// What to check after the server refused (or asked for missing) credentials.
    var authenticationHint: String {
        guard token != nil || sshKey != nil else {
            return "the server wants credentials and none are configured; give a token by environment variable or file (HTTPS), or an SSH key (ssh://)"
        }
        return "check the credentials (\(summary)): that the secret is current and may read the repository"
    }
}
