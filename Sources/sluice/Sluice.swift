import ArgumentParser
import Foundation
import SluiceCore

/// The `sluice` command-line tool.
@main
struct Sluice: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "GitOps for Apache Flink jobs: Git is the source of truth for every cluster.",
        discussion: """
            Sluice reads a commit of a spec repository (Clusters, Environments, FlinkDeployments, \
            FlinkSessionJobs and plain Kubernetes manifests), renders the desired state of each \
            cluster, checks it against ValidatingAdmissionPolicies (CEL), plans the changes \
            against the live state of each cluster and applies them safely.

            Start with:
              sluice validate --repo . --path specs-example
              sluice render --path specs-example --revision HEAD --cluster edge-munich-1
              sluice check --base main --head HEAD --path specs-example --output markdown
              sluice plan --path specs-example --revision HEAD --cluster dc-frankfurt-flink
              sluice sync --path specs-example --revision HEAD --cluster dc-frankfurt-flink
              sluice status   # what a running sluice serve does

            Exit codes (all commands):
              0  success
              1  the specs are invalid (every error is printed as file:line:column),
                 or, for check, a Deny policy fired
              2  usage error, or the repository, revision or path cannot be read, or the
                 revision's signature is missing, bad or untrusted (--verify-commits)
              3  sync: a cluster failed, was held, or could not be planned
            `sluice plan` differs, for CI: 0 no changes, 2 changes planned, 1 any error.
            """,
        version: version,
        subcommands: [ValidateCommand.self, RenderCommand.self, CheckCommand.self, PlanCommand.self, SyncCommand.self,
                      ServeCommand.self, StatusCommand.self, RuntimeCommand.self]
    )

    /// Maps argument-parser's usage errors to exit code 2, as documented above.
    static func main() async {
        do {
            var command = try parseAsRoot(SignatureOptions.completeBareFlag(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                // `plan` keeps 2 for "changes planned", so its usage errors are plain errors.
                let isPlan = CommandLine.arguments.dropFirst().first == PlanCommand.configuration.commandName
                Foundation.exit(isPlan ? PlanCommand.error : ExitStatus.usage.rawValue)
            }
            exit(withError: error)
        }
    }
}

/// Exit statuses shared by every command; documented in `sluice --help`.
enum ExitStatus: Int32 {
    case success = 0
    case invalidSpecs = 1
    case usage = 2
    /// sync: a cluster failed, was held, or could not be planned.
    case clusterFailed = 3
}
