import ArgumentParser
import Foundation
import SluiceGit

/// Commit and tag signature verification: shared by every command that reads a revision. The
/// trust roots are files on the host running Sluice; nothing in the repository can add to them.
struct SignatureOptions: ParsableArguments {
    /// `off`, `head` or `all`, as `--verify-commits` and `$SLUICE_VERIFY_COMMITS` take them.
    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case off, head, all
    }

    @Option(name: .long, help: ArgumentHelp(
        "Refuse revisions whose signature is missing, bad or untrusted: head (the commit applied, and the tag when --revision is one) or all (every commit since the last trusted one; serve: the last applied commit, check: --base). A bare --verify-commits means head. Default: $SLUICE_VERIFY_COMMITS, else head when a trust root is given, else off.",
        valueName: "head|all|off"))
    var verifyCommits: Mode?

    @Option(name: .long, help: ArgumentHelp(
        "SSH signers trusted for Git, in git's allowed_signers format (default: $SLUICE_ALLOWED_SIGNERS).",
        valueName: "file"))
    var allowedSigners: String?

    @Option(name: .long, help: ArgumentHelp(
        "A binary OpenPGP keyring (gpg --export KEYID > file) whose keys are trusted; checked with gpgv (default: $SLUICE_GPG_KEYRING).",
        valueName: "file"))
    var gpgKeyring: String?

    @Option(name: .long, help: ArgumentHelp(
        "With --verify-commits=all: the commit trusted without checking, where the range starts when no commit has been applied yet (default: the whole history).",
        valueName: "rev"))
    var verifySince: String?

    private static var environment: [String: String] { ProcessInfo.processInfo.environment }

    private static func setting(_ value: String?, _ variable: String) -> String? {
        if let value { return value }
        guard let env = environment[variable], !env.isEmpty else { return nil }
        return env
    }

    var allowedSignersFile: String? { Self.setting(allowedSigners, "SLUICE_ALLOWED_SIGNERS") }
    var gpgKeyringFile: String? { Self.setting(gpgKeyring, "SLUICE_GPG_KEYRING") }

    /// The mode in force: the flag, the environment, or `head` as soon as a trust root is given.
    var mode: Mode {
        if let verifyCommits { return verifyCommits }
        if let env = Self.environment["SLUICE_VERIFY_COMMITS"], let mode = Mode(rawValue: env) { return mode }
        return allowedSignersFile != nil || gpgKeyringFile != nil ? .head : .off
    }

    func validate() throws {
        if let env = Self.environment["SLUICE_VERIFY_COMMITS"], !env.isEmpty, verifyCommits == nil, Mode(rawValue: env) == nil {
            throw ValidationError("SLUICE_VERIFY_COMMITS=\(env) is not one of off, head, all")
        }
        if mode != .off && allowedSignersFile == nil && gpgKeyringFile == nil {
            throw ValidationError("--verify-commits needs a trust root: --allowed-signers <file> (SSH) and/or --gpg-keyring <file> (OpenPGP)")
        }
        if verifySince != nil && mode != .all {
            throw ValidationError("--verify-since only applies with --verify-commits=all")
        }
    }

    /// The trust roots alone (to report a signature's status even when it is not required).
    func verifier() throws -> SignatureVerifier? {
        guard allowedSignersFile != nil || gpgKeyringFile != nil else { return nil }
        return try SignatureVerifier(allowedSignersFile: allowedSignersFile, gpgKeyring: gpgKeyringFile)
    }

    /// What must be verified, or `nil` when verification is off.
    func policy() throws -> SignaturePolicy? {
        guard mode != .off, let verifier = try verifier() else { return nil }
        return SignaturePolicy(scope: mode == .all ? .all : .head, verifier: verifier, since: verifySince)
    }

    /// `--verify-commits` alone means `--verify-commits=head`: argument parsing has no options
    /// with an optional value, so a bare one is completed before parsing.
    static func completeBareFlag(_ arguments: [String]) -> [String] {
        var out: [String] = []
        for (index, argument) in arguments.enumerated() {
            if argument == "--" { return out + arguments[index...] }
            let next = index + 1 < arguments.count ? arguments[index + 1] : nil
            if argument == "--verify-commits", next.flatMap(Mode.init(rawValue:)) == nil {
                out.append("--verify-commits=head")
            } else {
                out.append(argument)
            }
        }
        return out
    }
}
