#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore
import SluiceFlink
import SluiceSpec

extension FlinkRuntime {
    /// The jobs of `identities` as their JobManagers report them (see `JobReconciler.observe`).
    /// An object whose processes do not run has no job to observe and is left out; so is one whose
    /// JobManager does not answer (its health says so).
    public func observe(_ identities: [ObjectIdentity]) async -> [ObjectIdentity: JobObservation] {
        var byEndpoint: [URL: [ObjectIdentity]] = [:]
        for identity in identities {
            guard let value = store[identity]?.value else { continue }
            let name = Self.processName(host(of: identity, value: value))
            guard let status = await supervisor.status(of: name), status.phase == .running, let url = status.restURL else { continue }
            byEndpoint[url, default: []].append(identity)
        }
        var observed: [ObjectIdentity: JobObservation] = [:]
        for (url, objects) in byEndpoint {
            guard let found = try? await reconciler(url).observe(objects) else { continue }
            observed.merge(found) { _, new in new }
        }
        return observed
    }
}
