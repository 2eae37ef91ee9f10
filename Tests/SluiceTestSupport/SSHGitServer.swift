import Foundation

/// A real OpenSSH server on 127.0.0.1 (a free port) that serves Git repositories over `ssh://`
/// to one client key, with keys of its own made for the run. Stopped when released.
///
/// Needs `/usr/sbin/sshd` and `ssh-keygen` (Debian's openssh-server and openssh-client, which
/// `scripts/install-deps.sh` installs) and root, because sshd's privilege separation needs it.
public final class SSHGitServer: @unchecked Sendable {
    public let port: UInt16
    public let directory: TemporaryDirectory
    /// The private key the server accepts.
    public var clientKey: URL { directory.url.appendingPathComponent("client_key") }
    /// A private key the server does not accept.
    public var strangerKey: URL { directory.url.appendingPathComponent("stranger_key") }
    /// A known_hosts file that pins this server's host key, and one that pins another key.
    public var knownHosts: URL { directory.url.appendingPathComponent("known_hosts") }
    public var wrongKnownHosts: URL { directory.url.appendingPathComponent("wrong_known_hosts") }
    private let process: SpawnedProcess

    /// Why the server cannot run on this machine, or `nil` when it can.
    public static var unavailableReason: String? {
        if !FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") { return "sshd is not installed (scripts/install-deps.sh installs openssh-server)" }
        if getuid() != 0 { return "sshd's privilege separation needs root" }
        return nil
    }

    public init() throws {
        let directory = try TemporaryDirectory(prefix: "sluice-sshd")
        let path = directory.path
        for key in ["host_key", "other_host_key", "client_key", "stranger_key"] {
            try runProcess("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", key, "-f", "\(path)/\(key)"])
        }
        try FileManager.default.copyItem(atPath: "\(path)/client_key.pub", toPath: "\(path)/authorized_keys")
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        (process, port) = try startListening("sshd") { port in
            _ = try directory.write("sshd_config", """
                Port \(port)
                ListenAddress 127.0.0.1
                HostKey \(path)/host_key
                AuthorizedKeysFile \(path)/authorized_keys
                PubkeyAuthentication yes
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PermitRootLogin prohibit-password
                StrictModes no
                UsePAM no
                PidFile \(path)/sshd.pid

                """)
            return try SpawnedProcess("/usr/sbin/sshd", ["-D", "-e", "-f", "\(path)/sshd_config"],
                                      stderrPath: "\(path)/sshd.log")
        }
        self.directory = directory
        func pin(_ publicKey: String) throws -> String {
            let fields = try String(contentsOfFile: "\(path)/\(publicKey)", encoding: .utf8).split(separator: " ")
            return "[127.0.0.1]:\(port) \(fields[0]) \(fields[1])\n"
        }
        _ = try directory.write("known_hosts", try pin("host_key.pub"))
        _ = try directory.write("wrong_known_hosts", try pin("other_host_key.pub"))
    }

    /// `ssh://root@127.0.0.1:<port><absolute path>`.
    public func url(_ repository: URL) -> String { "ssh://root@127.0.0.1:\(port)\(repository.path)" }

    /// The server's log, for failure messages.
    public var log: String { (try? String(contentsOf: directory.url.appendingPathComponent("sshd.log"), encoding: .utf8)) ?? "" }

    deinit { process.stop(graceSeconds: 1) }
}
