import Foundation
import SluiceCore
import SluiceFlink
import SluiceKubernetes
import SluiceSpec
import SluiceYAML

/// The FlinkDeployments and FlinkSessionJobs of a job reading, listed rather than read one by
/// one: a kind with more jobs than namespaces is read with the driver's live-state list (one paged
/// list across all namespaces, or one per namespace where the connection is namespaced or may not
/// list across them), keeping only what the reading needs of the objects it asked about.
extension KubernetesDriver {
    /// What one reading learns of one object.
    struct JobObjectRead: Sendable {
        var observation: JobObservation
        var exists: Bool
        var target: JobManagerTarget?
    }

    /// Objects looked at per kind at most; past it that kind is read object by object instead.
    static let maxListedJobObjects = 50_000

    private struct TooManyJobObjects: Error {}

    /// The listed objects' reads, for the kinds worth a list that one could be read for before
    /// `deadline`; the rest (and any kind whose list failed) are left for single reads.
    func listJobObjects(_ jobs: [ObjectIdentity], apiVersion: String, deadline: ContinuousClock.Instant) async -> [ObjectIdentity: JobObjectRead] {
        var read: [ObjectIdentity: JobObjectRead] = [:]
        for (kind, wanted) in Dictionary(grouping: jobs, by: \.kind).sorted(by: { $0.key < $1.key }) {
            var byKey: [ObjectIdentity: ObjectIdentity] = [:]
            for identity in wanted {
                var key = identity
                key.namespace = identity.namespace ?? client.defaultNamespace
                byKey[key] = identity
            }
            let namespaces = Set(byKey.keys.compactMap(\.namespace))
            // One GET per object is as cheap where no namespace holds two of them.
            guard byKey.count > namespaces.count, ContinuousClock.now < deadline else { continue }
            var found: [ObjectIdentity: JobObjectRead] = [:]
            var seen = 0
            do {
                try await list(apiVersion: apiVersion, kind: kind, selector: "", namespaces: namespaces) { object in
                    seen += 1
                    guard seen <= Self.maxListedJobObjects else { throw TooManyJobObjects() }
                    guard let key = Self.identity(of: object), let identity = byKey[key] else { return }
                    found[identity] = JobObjectRead(observation: Self.jobObservation(object), exists: true,
                                                    target: Self.jobManagerTarget(object, identity: identity))
                }
            } catch {
                continue  // forbidden, unreachable, too many: read these one by one
            }
            // A listed namespace without the object: it is not on the cluster and runs no job.
            for identity in byKey.values where found[identity] == nil {
                found[identity] = JobObjectRead(observation: Self.jobObservation(.null), exists: false, target: nil)
            }
            read.merge(found) { _, new in new }
        }
        return read
    }
}
