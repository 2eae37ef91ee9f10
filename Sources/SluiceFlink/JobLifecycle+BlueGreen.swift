#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore

/// A FlinkBlueGreenDeployment's transition on a Flink cluster Sluice drives over REST, the way the
/// operator's blue/green controller does it on Kubernetes (flink-kubernetes-operator,
/// controller/bluegreen/BlueGreenDeploymentService.java): savepoint the active job ("blue") without
/// stopping it, start the new spec ("green") from that savepoint as a new job, wait until green is
/// healthy, and only then stop blue. If green does not become healthy it is cancelled and blue keeps
/// running (the operator's abort: `abortDeployment` suspends the new child and stays on the old one).
extension JobLifecycle {
    /// The operator's kind whose children run this way.
    public static let blueGreenKind = "FlinkBlueGreenDeployment"

    /// How a green job fared in its health gate.
    enum GreenGate: Sendable {
        case healthy(String)
        case failed(String)
    }

    /// Moves `blue` (running) to `spec` as a blue/green transition; returns green as the job now running.
    /// Throws, with blue still running, when the savepoint cannot be taken or verified, or green
    /// fails to start or to become healthy.
    public func blueGreenTransition(from blue: JobSummary, to spec: JobSpec, _ context: Context) async throws -> Transition {
        var savepoint: String?
        if spec.isStateful {
            let taken = try await self.savepoint(blue, spec, context)
            // Verify the state green starts from before anything depends on it.
            guard let path = taken.savepointPath, StateLocator.isUsable(path) else {
                throw FlinkError("blue/green transition of \(context.owner) on \(cluster) stopped before green: the savepoint of blue job \(blue.id) (\(taken.savepointPath ?? "no path")) has no _metadata; blue keeps running",
                                 hint: "check execution.checkpointing.savepoint-dir and the disk it is on, then sync again")
            }
            savepoint = path
        }
        let green: String
        do {
            green = try await submit(spec, context, restoreFrom: savepoint)
        } catch {
            throw FlinkError("blue/green transition of \(context.owner) on \(cluster) rolled back: green did not start (\(error)); blue job \(blue.id) keeps running",
                             hint: "fix the new spec and sync again; blue's state is in \(savepoint ?? "its own checkpoints")")
        }
        switch await awaitGreen(green, stateful: spec.isStateful) {
        case .failed(let why):
            try? await cancel(green, context)
            throw FlinkError("blue/green transition of \(context.owner) on \(cluster) rolled back: green job \(green) \(why); cancelled it, blue job \(blue.id) keeps running",
                             hint: "fix the new spec and sync again")
        case .healthy(let how):
            try await cancel(blue.id, context)
            let from = savepoint.map { "from savepoint \($0) of blue job \(blue.id)" } ?? "fresh (stateless)"
            return Transition(jobID: green, savepointPath: savepoint,
                              message: "blue/green: green job \(green) started \(from) and is healthy (\(how)); blue job \(blue.id) cancelled")
        }
    }

    /// Waits until green runs with all its tasks and, when stateful, has completed a checkpoint of
    /// its own: the same judgement as the sync's health gate. A job that fails, restarts or stops
    /// in the meantime fails the gate at once; so does the operation timeout.
    func awaitGreen(_ jobID: String, stateful: Bool) async -> GreenGate {
        let deadline = ContinuousClock.now + operationTimeout
        var last = "did not report"
        while ContinuousClock.now < deadline {
            do {
                if let summary = try await client.jobs().first(where: { $0.id == jobID }) {
                    switch summary.state {
                    case .failed, .failing, .restarting, .canceled, .cancelling, .finished, .suspended:
                        return .failed("is \(summary.state.rawValue)")
                    case .running:
                        if let details = try await client.job(jobID) {
                            let running = details.vertices.filter { $0.status == "RUNNING" }.count
                            last = "\(running) of \(details.vertices.count) tasks running"
                            if running == details.vertices.count, !details.vertices.isEmpty {
                                guard stateful else { return .healthy("RUNNING") }
                                if let checkpoint = try await client.checkpoints(jobID)?.latestCompleted,
                                   checkpoint.triggerTimestamp >= summary.startTime {
                                    return .healthy("RUNNING; checkpoint \(checkpoint.id) completed")
                                }
                                last = "RUNNING, no checkpoint of its own yet"
                            }
                        }
                    default:
                        last = summary.state.rawValue
                    }
                }
                try await Task.sleep(for: pollInterval)
            } catch {
                return .failed("could not be checked: \(error)")
            }
        }
        return .failed("was not healthy within \(operationTimeout) (\(last))")
    }
}
