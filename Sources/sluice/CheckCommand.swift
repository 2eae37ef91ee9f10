import ArgumentParser
import SluiceCore
import SluiceGit
import SluicePipeline
import SluiceReport
import SluiceSpec
import SluiceSync

/// `sluice check`: the pull-request gate.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Tell a reviewer what a change does on each cluster and which policies it breaks.",
        discussion: """
            Renders the specs at --base and at --head, compares them cluster by cluster (objects \
            added, changed with their changed fields and how disruptive the change is for Flink \
            jobs, removed) and evaluates every ValidatingAdmissionPolicy in --policies against \
            every object rendered at --head. In policies, oldObject is the same object at --base \
            (null when it is new), and cluster and environment describe where it is placed.

            Examples:
              sluice check --base origin/main --head HEAD --path specs-example
              sluice check --base main --head feature --output sarif > sluice.sarif
              sluice check --base "$BASE_SHA" --head "$HEAD_SHA" --output github

            With trust roots (--allowed-signers, --gpg-keyring), the signature of --head (and \
            with --verify-commits=all, of every commit since --base) is a finding: a Deny when \
            verification is required (the default once a trust root is given), a warning with \
            --verify-commits=off.

            Exit codes: 0 no policy denies the change, 1 a Deny fired (or a warning with \
            --fail-on-warnings), 2 usage error or the specs or policies cannot be loaded.
            """
    )

    @OptionGroup var source: SourceOptions

    @Option(name: .long, help: ArgumentHelp("The revision the change starts from (e.g. the PR's base branch).", valueName: "rev"))
    var base: String

    @Option(name: .long, help: ArgumentHelp("The revision with the change.", valueName: "rev"))
    var head: String = "HEAD"

    @Option(name: .long, help: ArgumentHelp("The folder of the policies, read at --head.", valueName: "path"))
    var policies: String = "policies"

    @Option(name: .shortAndLong, help: "Output format: text, json, sarif, junit, github or markdown.")
    var output: CheckReport.Format = .text

    @Flag(name: .long, help: "Fail (exit 1) on Warn violations too.")
    var failOnWarnings = false

    func run() throws {
        let report: CheckReport
        do {
            report = try makeReport()
        } catch {
            // Load errors are usage errors for a gate: the change cannot even be read.
            _ = Console.fail(error)
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        Console.out(report.render(output))
        if report.fails(warningsAsErrors: failOnWarnings) { throw ExitCode(ExitStatus.invalidSpecs.rawValue) }
    }

    func makeReport() throws -> CheckReport {
        let repository = try source.openRepository()
        let baseCommit = try repository.resolve(base), headCommit = try repository.resolve(head)
        var report = try Review(path: source.path, policies: policies)
            .run(base: try repository.tree(at: baseCommit), revision: baseCommit.hex, head: try repository.tree(at: headCommit), revision: headCommit.hex)
        report.signature = try signatureFinding(repository: repository, base: baseCommit, head: headCommit)
        return report
    }

    /// The head's signature status, when trust roots are given; `nil` otherwise.
    func signatureFinding(repository: GitRepository, base: GitCommitID, head: GitCommitID) throws -> CommitSignatureFinding? {
        guard let verifier = try source.signatures.verifier() else { return nil }
        let required = source.signatures.mode != .off
        let policy = SignaturePolicy(scope: source.signatures.mode == .all ? .all : .head, verifier: verifier)
        do {
            let verified = try policy.verify(revision: self.head, head: head, in: repository, trusted: base)
            let last = verified.last { $0.revision == head.hex } ?? verified[0]
            let more = verified.count > 1 ? "; \(verified.count) signatures verified" : ""
            return CommitSignatureFinding(object: last.object, revision: last.revision, verified: true, required: required,
                                          message: "\(last.object) is signed by \(last.signer) (\(last.format.rawValue) key \(last.fingerprint))\(more)",
                                          signer: last.signer, fingerprint: last.fingerprint)
        } catch let error as SignatureError {
            return CommitSignatureFinding(object: error.object, revision: error.revision, verified: false, required: required,
                                          reason: error.reason.rawValue, message: error.message, signer: error.signer, fingerprint: error.fingerprint)
        }
    }
}

extension CheckReport.Format: ExpressibleByArgument {}
