#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore
import SluiceFlink
import SluiceYAML

extension FlinkRuntime {
    /// Finds the jar of a job whose processes are not running yet, before any of them starts: a
    /// job whose jar is missing or cannot be downloaded fails in a second with the jar named,
    /// instead of after a JobManager and its TaskManagers have started (a minute on a small host)
    /// for nothing. Running processes skip the check; the submit resolves the jar anyway.
    func checkJar(_ desired: Value?, name: String) async throws {
        guard let desired, let spec = JobSpec(desired), spec.state == .running,
              await supervisor.status(of: name) == nil else { return }
        do {
            _ = try await jarStore.resolve(spec)
        } catch let error as any SluiceError {
            throw FlinkError("the job of \(name) on \(cluster) cannot start, no process was started: jar \(JarStore.redacted(spec.jarURI)): \(error.message)",
                             hint: error.hint)
        } catch {
            throw FlinkError("the job of \(name) on \(cluster) cannot start, no process was started: jar \(JarStore.redacted(spec.jarURI)): \(error)")
        }
    }
}
