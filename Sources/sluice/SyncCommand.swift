import ArgumentParser
import Foundation
import SluicePipeline
import SluiceReport
import SluiceSync

/// `sluice sync`: make every selected cluster match Git.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Apply the plan: waves in order, clusters of a wave in parallel, a health gate after each.",
        discussion: """
            Plans as `sluice plan` does, then applies. Clusters are grouped by the lowest `wave` \
            of the environments that select them; the clusters of a wave sync in parallel, each \
            applying its changes in order and then waiting until every changed object is healthy \
            (a Flink job RUNNING with all tasks and, for stateful jobs, a checkpoint completed \
            after the change). A failed cluster does not stop its wave-mates, but holds every \
            later wave. With auto-rollback (flag or the environment's syncPolicy.autoRollback), a \
            job that fails its health gate after an upgrade is put back on its previous spec from \
            the upgrade's savepoint, and that spec is not retried until Git changes.

            Every lifecycle step is journalled in the state directory before it is taken, so an \
            interrupted sync resumes with the same job ids and savepoints.

            Examples:
              sluice sync --path specs-example --revision HEAD --cluster dc-frankfurt-flink
              sluice sync --path specs-example --prune --health-timeout 600
              sluice sync --path specs-example --dry-run --output json

            Exit codes: 0 every cluster in sync, 1 invalid specs, 2 usage or read error, \
            3 a cluster failed, was held, or could not be planned.
            """
    )

    @OptionGroup var source: SourceOptions
    @OptionGroup var clusters: ClusterOptions

    @OptionGroup var apply: ApplyOptions

    @Flag(name: .long, help: "Show what would be done; change nothing.")
    var dryRun = false

    @Option(name: .shortAndLong, help: "Output format of the final report: text or json. Progress goes to standard error when it is a terminal.")
    var output: ReportFormat = .text

    @Flag(name: .shortAndLong, help: "No progress lines on standard error.")
    var quiet = false

    func run() async throws {
        var options = apply.syncOptions(clusters, dryRun: dryRun)
        if !dryRun { options.lockHolder = "sluice sync" }
        let (pipeline, planned): (Pipeline, Pipeline.Planned)
        do {
            (pipeline, planned) = try await clusters.plan(source, options: options)
        } catch {
            throw Console.fail(error)
        }
        if !quiet { Console.err(PlanReport.text(planned.plan)) }
        // Progress (with the time elapsed) only for a person at a terminal; a pipe or a log gets the report alone.
        let progress = TerminalProgress(enabled: !quiet && TerminalProgress.isTerminal)
        let report = await pipeline.apply(planned, options: options) { event in
            switch event {
            case .healthWaiting(let cluster, let identity, let health): progress.show("\(cluster): waiting for \(identity): \(health)")
            default: progress.line(Self.progressLine(event).trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        progress.clear()
        Console.out(output == .json ? PlanReport.json(report) : PlanReport.text(report))
        if !report.succeeded { throw ExitCode(ExitStatus.clusterFailed.rawValue) }
    }

    static func progressLine(_ event: SyncEvent) -> String {
        switch event {
        case .waveStarted(let wave, let clusters): "wave \(wave): \(clusters.joined(separator: ", "))\n"
        case .actionStarted(let action): "  \(action.cluster): \(action.kind.rawValue) \(action.identity) ...\n"
        case .actionFinished(let result):
            "  \(result.action.cluster): \(result.action.kind.rawValue) \(result.action.identity) \(result.succeeded ? "done" : "FAILED"): \(result.message)\n"
        case .healthWaiting(let cluster, let identity, let health): "  \(cluster): waiting for \(identity): \(health)\n"
        case .clusterFinished(let result): "  \(result.cluster): \(result.status.rawValue): \(result.message)\n"
        }
    }
}
