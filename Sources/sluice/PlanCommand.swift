import ArgumentParser
import SluicePipeline
import SluiceReport
import SluiceSync

/// `sluice plan`: what a sync would do on each cluster, without changing anything.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what a sync would change on each cluster, and why.",
        discussion: """
            Renders the specs, reads the live state of every selected cluster (--parallelism at a time), \
            and compares them: per object, create, update, rescale, upgrade, redeploy, savepoint, \
            suspend, resume, delete (with --prune), or nothing, with the changed fields and, \
            for Flink jobs, the operator's change class (ignore < scale < upgrade < \
            savepoint-redeploy). Policies are evaluated with oldObject set to the live object; a \
            cluster where a Deny fires would apply nothing. Nothing is changed.

            Examples:
              sluice plan --path specs-example --revision HEAD --cluster dc-frankfurt-flink
              sluice plan --path specs-example --output json

            Exit codes (for CI, as `terraform plan -detailed-exitcode`): 0 no changes, 2 changes \
            planned, 1 any error: invalid specs, unreadable repository, bad usage, or a cluster \
            that could not be planned (unreachable, no driver, refused prune, policy denial).
            """
    )

    /// `plan`'s own exit codes, as the issue tracker and CI systems expect them.
    static let error: Int32 = 1, changes: Int32 = 2

    @OptionGroup var source: SourceOptions
    @OptionGroup var clusters: ClusterOptions

    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: ReportFormat = .text

    func run() async throws {
        let plan: Plan
        do {
            var options = SyncOptions(prune: clusters.prune, allowMassPrune: clusters.allowMassPrune, selfHeal: clusters.selfHeal)
            options.parallelism = clusters.parallelism
            let planned = try await clusters.plan(source, options: options).planned
            await planned.syncer.close()
            plan = planned.plan
        } catch {
            _ = Console.fail(error)
            throw ExitCode(Self.error)
        }
        Console.out(output == .json ? PlanReport.json(plan) : PlanReport.text(plan))
        if plan.hasErrors { throw ExitCode(Self.error) }
        if plan.hasChanges { throw ExitCode(Self.changes) }
    }
}
