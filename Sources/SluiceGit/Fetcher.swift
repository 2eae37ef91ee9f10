import CGit2
import Foundation

/// One fetch of a remote into a bare cache, with the credential callback libgit2 needs.
struct Fetcher {
    static let refspecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]
    /// libgit2 asks again after every rejected credential; this many tries, then Sluice gives up.
    static let maxCredentialAttempts = 3

    let repository: OpaquePointer
    let url: String
    let credentials: GitCredentials
    /// Bounds every connection of this fetch; shared across retries, so the deadline is for all.
    let budget: FetchBudget

    func run() throws {
        TimedSocketStream.register()
        try budget.apply { try fetch() }
    }

    private func fetch() throws {
        let shownURL = GitURL.redacted(url)
        var remote: OpaquePointer?
        // Not git_remote_create_anonymous: in libgit2 1.5.1 its `url.*.insteadOf` lookup leaks a
        // PCRE2 match buffer (about 20 KiB) per config entry on every call, tens of MiB over
        // hundreds of fetches. Sluice uses the URL as given, so skipping insteadOf costs nothing.
        var createOptions = git_remote_create_options()
        git_remote_create_options_init(&createOptions, UInt32(GIT_REMOTE_CREATE_OPTIONS_VERSION))
        createOptions.repository = repository
        createOptions.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF.rawValue | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC.rawValue
        try check(git_remote_create_with_opts(&remote, url, &createOptions)) { _ in
            GitError(.unreachable, "invalid remote URL \(shownURL): \(scrub(GitError.lastLibraryMessage, secrets: []))",
                     hint: "use a file://, git://, https:// or ssh:// URL")
        }
        defer { git_remote_free(remote) }

        let context = CredentialContext(credentials: credentials, isSSH: GitURL.isSSH(url),
                                        knownHosts: try credentials.knownHostsFile.map(KnownHosts.init(path:)),
                                        port: GitURL.port(url))
        let unmanaged = Unmanaged.passRetained(context)
        defer { unmanaged.release() }

        var options = git_fetch_options()
        git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
        options.prune = GIT_FETCH_PRUNE
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL
        options.callbacks.payload = unmanaged.toOpaque()
        options.callbacks.credentials = { out, _, usernameFromURL, allowed, payload in
            guard let out, let payload else { return -1 }
            let context = Unmanaged<CredentialContext>.fromOpaque(payload).takeUnretainedValue()
            return context.acquire(out, usernameFromURL: usernameFromURL.map { String(cString: $0) }, allowed: allowed)
        }

        options.callbacks.certificate_check = { certificate, _, host, payload in
            guard let certificate, let payload else { return GIT_PASSTHROUGH.rawValue }
            let context = Unmanaged<CredentialContext>.fromOpaque(payload).takeUnretainedValue()
            return context.checkHostKey(certificate, host: host.map { String(cString: $0) } ?? "")
        }

        let code = Self.refspecs.withCStringArray { array in
            var specs = git_strarray(strings: array, count: Self.refspecs.count)
            return git_remote_fetch(remote, &specs, &options, "sluice fetch")
        }
        if code < 0 {
            let reason = scrub(GitError.lastLibraryMessage, secrets: context.usedSecrets)
            if let timedOut = budget.timedOut {
                throw GitError(.timeout, "cannot fetch \(shownURL): \(timedOut)",
                               hint: "check that the Git server answers; the limits are --git-connect-timeout, --git-stall-timeout and --git-timeout")
            }
            if let refusal = context.hostKeyRefusal {
                throw GitError(.unreachable, "cannot fetch \(shownURL): \(refusal)",
                               hint: "if the server's key really changed, replace its line in the known hosts file (ssh-keyscan prints the new one)")
            }
            if reason.lowercased().contains("hostkey") {
                throw GitError(.unreachable, "cannot fetch \(shownURL): \(reason)",
                               hint: "pin the server's host key: ssh-keyscan -p <port> <host> >> ~/.ssh/known_hosts, or pass a known hosts file (--git-known-hosts)")
            }
            if let failure = context.failure {
                throw GitError(.authentication, "authentication failed for \(shownURL): \(failure)",
                               hint: credentials.authenticationHint)
            }
            let lowered = reason.lowercased()
            if code == GIT_EAUTH.rawValue || lowered.contains("auth") || lowered.contains("401") || lowered.contains("403")
                || lowered.contains("credential") {
                throw GitError(.authentication, "authentication failed for \(shownURL): \(reason)",
                               hint: credentials.authenticationHint)
            }
            throw GitError(.unreachable, "cannot fetch \(shownURL): \(reason)",
                           hint: "check the URL, the network and that the Git server is running")
        }
        pointHeadAtDefaultBranch(remote!)
    }

    /// `message` with the raw URL replaced by its credential-free form and every secret masked,
    /// because libgit2 messages may quote the URL it was given.
    private func scrub(_ message: String, secrets: [String]) -> String {
        var text = message.replacingOccurrences(of: url, with: GitURL.redacted(url))
        for secret in secrets + GitURL.userInfoParts(url) where secret.count >= 3 {
            text = text.replacingOccurrences(of: secret, with: "***")
        }
        return text
    }

    /// A cache's HEAD follows the remote's default branch, so `HEAD` means what it means on the forge.
    private func pointHeadAtDefaultBranch(_ remote: OpaquePointer) {
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        var target: String?
        if git_remote_default_branch(&buffer, remote) == 0, let ptr = buffer.ptr {
            target = String(cString: ptr)
        } else {
            for candidate in ["refs/heads/main", "refs/heads/master"] {
                var ref: OpaquePointer?
                if git_reference_lookup(&ref, repository, candidate) == 0 {
                    git_reference_free(ref)
                    target = candidate
                    break
                }
            }
        }
        if let target { git_repository_set_head(repository, target) }
    }
}

/// State shared with libgit2's credential callback for one fetch.
final class CredentialContext {
    let credentials: GitCredentials
    let isSSH: Bool
    var attempts = 0
    /// Why Sluice gave up, when it did; never contains a secret.
    var failure: String?
    /// Secrets handed to libgit2, so they can be masked should a message quote them.
    var usedSecrets: [String] = []

    /// The pinned host keys when the credentials name a known hosts file, and the URL's port.
    let knownHosts: KnownHosts?
    let port: Int?
    /// Why the server's host key was refused, when it was.
    var hostKeyRefusal: String?

    init(credentials: GitCredentials, isSSH: Bool, knownHosts: KnownHosts? = nil, port: Int? = nil) {
        self.credentials = credentials
        self.isSSH = isSSH
        self.knownHosts = knownHosts
        self.port = port
    }

    /// Accepts an SSH host key only when the known hosts file pins it; other certificates (and
    /// SSH without a file of Sluice's own) get libgit2's default check.
    func checkHostKey(_ certificate: UnsafeMutablePointer<git_cert>, host: String) -> Int32 {
        guard let knownHosts, certificate.pointee.cert_type == GIT_CERT_HOSTKEY_LIBSSH2 else { return GIT_PASSTHROUGH.rawValue }
        let hostKey = UnsafeMutableRawPointer(certificate).assumingMemoryBound(to: git_cert_hostkey.self).pointee
        guard hostKey.type.rawValue & GIT_CERT_SSH_RAW.rawValue != 0, let raw = hostKey.hostkey else {
            hostKeyRefusal = "libgit2 did not hand over the raw host key of \(host), so it cannot be checked against \(knownHosts.path)"
            return GIT_ECERTIFICATE.rawValue
        }
        let key = [UInt8](UnsafeRawBufferPointer(start: raw, count: hostKey.hostkey_len))
        if knownHosts.accepts(key, host: host, port: port) { return 0 }
        hostKeyRefusal = "the host key of \(KnownHosts.lookupName(host: host, port: port)) (\(KnownHosts.fingerprint(key))) is not pinned in \(knownHosts.path)"
        return GIT_ECERTIFICATE.rawValue
    }

    func acquire(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>, usernameFromURL: String?, allowed: UInt32) -> Int32 {
        attempts += 1
        if attempts > Fetcher.maxCredentialAttempts {
            failure = "the server rejected the credentials \(Fetcher.maxCredentialAttempts) times"
            return GIT_EUSER.rawValue
        }
        // SSH forges expect the user "git"; HTTPS token users are whatever the forge documents.
        let user = usernameFromURL ?? (isSSH ? "git" : credentials.username)
        if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 {
            if let key = credentials.sshKey {
                var passphrase: String?
                if let source = key.passphrase {
                    guard let value = source.read() else {
                        failure = "the SSH key passphrase is missing: \(source) is not set or empty"
                        return GIT_EUSER.rawValue
                    }
                    passphrase = value
                    usedSecrets.append(value)
                }
                return git_credential_ssh_key_new(out, user, key.publicKeyPath, key.privateKeyPath, passphrase)
            }
            if credentials.useSSHAgent {
                return git_credential_ssh_key_from_agent(out, user)
            }
        }
        if allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0, let source = credentials.token {
            guard let token = source.read() else {
                failure = "the token is missing: \(source) is not set or empty"
                return GIT_EUSER.rawValue
            }
            usedSecrets.append(token)
            return git_credential_userpass_plaintext_new(out, user, token)
        }
        if allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0 {
            return git_credential_username_new(out, user)
        }
        failure = "the server asks for credentials and none are configured"
        return GIT_EUSER.rawValue
    }
}

extension Array where Element == String {
    /// Calls `body` with a C array of C strings that live for the duration of the call.
    func withCStringArray<R>(_ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let pointers = map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        var array = pointers
        return array.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }
}
