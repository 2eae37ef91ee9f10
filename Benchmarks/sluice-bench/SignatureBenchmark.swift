import Foundation
import SluiceGit

/// `sluice-bench verify-signatures <repo> <allowed_signers|-> [keyring|-] [rounds]`: verifies the
/// signature of every commit reachable from HEAD (as `--verify-commits=all` does over a range)
/// and reports the time per commit, best of the rounds. The commit objects are read through
/// libgit2 each time, as serve reads them.
enum SignatureBenchmark {
    static func run(repository path: String, allowedSigners: String?, keyring: String?, rounds: Int) throws {
        let repository = try GitRepository.open(path: path)
        let verifier = try SignatureVerifier(allowedSignersFile: allowedSigners, gpgKeyring: keyring)
        let policy = SignaturePolicy(scope: .all, verifier: verifier)
        let head = try repository.resolve("HEAD")
        var best = Double.infinity
        var count = 0
        for _ in 0..<max(rounds, 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            let verified = try policy.verify(revision: "HEAD", head: head, in: repository)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            count = verified.count
            best = min(best, elapsed)
        }
        let kind = keyring != nil ? "openpgp (gpgv)" : "ssh"
        print(String(format: "signature verification per commit (%@): %d commits in %.3f s = %.3f ms per commit (best of %d)",
                     kind, count, best, best * 1000 / Double(max(count, 1)), max(rounds, 1)))
    }
}
