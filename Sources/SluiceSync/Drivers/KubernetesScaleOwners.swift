import Foundation
import SluiceCore
import SluiceKubernetes
import SluiceSpec
import SluiceYAML

/// HorizontalPodAutoscalers own the scale field of what they target: once the object exists,
/// Sluice never applies, heals or reports drift on it (Kubernetes' advice for Deployments under
/// an HPA, and what Argo CD users write `ignoreDifferences` for).
extension KubernetesDriver {
    static let autoscalingGroup = "autoscaling"
    static let hpaKind = "HorizontalPodAutoscaler"

    /// One HPA's target, from `spec.scaleTargetRef` (the target lives in the HPA's namespace).
    struct ScaleTarget: Hashable {
        var group: String
        var kind: String
        var namespace: String?
        var name: String
    }

    /// Marks in `live` the scale field of every desired object on the cluster that an HPA targets,
    /// an HPA in the desired state or one already on the cluster (in the namespaces of the desired
    /// objects). The field comes from the kind's scale subresource (discovery and its CRD).
    func markScaleOwners(_ live: inout [LiveObject], desired: [DesiredObject]) async throws {
        let desiredByIdentity = Dictionary(desired.map { ($0.identity, $0) }, uniquingKeysWith: { first, _ in first })
        // Only kinds with a scale subresource can have an HPA (discovery is cached: no request
        // for a plan of ConfigMaps).
        var onCluster: [Int] = []
        for index in live.indices {
            guard let apiVersion = desiredByIdentity[live[index].identity]?.value["apiVersion"]?.stringValue,
                  let resource = try? await client.resource(apiVersion: apiVersion, kind: live[index].identity.kind),
                  resource.subresources.contains("scale") else { continue }
            onCluster.append(index)
        }
        guard !onCluster.isEmpty else { return }

        var owners: [ScaleTarget: String] = [:]
        for object in desired where object.identity.group == Self.autoscalingGroup && object.kind == Self.hpaKind {
            if let target = Self.scaleTarget(of: object.value) { owners[target] = object.name }
        }
        let namespaces = Set(onCluster.compactMap { live[$0].identity.namespace })
        if let version = try await client.preferredAPIVersion(group: Self.autoscalingGroup) {
            for namespace in namespaces.sorted() {
                do {
                    try await client.list(apiVersion: version, kind: Self.hpaKind, namespace: namespace, labelSelector: "") { hpa in
                        if let target = Self.scaleTarget(of: hpa), owners[target] == nil {
                            owners[target] = hpa[path: "metadata", "name"]?.stringValue ?? ""
                        }
                    }
                } catch let error as KubernetesError where error.status == 403 || error.status == 404 {
                    continue  // not allowed to see HPAs there: only those in Git count
                }
            }
        }
        guard !owners.isEmpty else { return }

        var paths: [String: [String]?] = [:]
        for index in onCluster {
            let identity = live[index].identity
            let target = ScaleTarget(group: identity.group, kind: identity.kind, namespace: identity.namespace, name: identity.name)
            guard let hpa = owners[target], let apiVersion = desiredByIdentity[identity]?.value["apiVersion"]?.stringValue else { continue }
            let key = "\(apiVersion)/\(identity.kind)"
            if paths[key] == nil { paths[key] = .some(try await scaleReplicasPath(apiVersion: apiVersion, kind: identity.kind)) }
            guard let keys = paths[key] ?? nil else { continue }
            live[index].ownedElsewhere.append(LiveObject.OwnedField(keys: keys, owner: "\(Self.hpaKind) \(hpa)"))
        }
    }

    /// The scale field of a kind: from the cluster, else (the CRD may not be readable with
    /// Sluice's grants) from the operator CRD Sluice bundles for the Flink kinds.
    private func scaleReplicasPath(apiVersion: String, kind: String) async throws -> [String]? {
        do {
            return try await client.scaleReplicasPath(apiVersion: apiVersion, kind: kind)
        } catch let error as KubernetesError where error.status == 403 {
            guard ObjectIdentity.group(ofAPIVersion: apiVersion) == KnownKinds.flinkGroup,
                  let path = FlinkSchemas.specReplicasPath(for: kind) else { return nil }
            return KubernetesClient.fieldKeys(path)
        }
    }

    static func scaleTarget(of hpa: Value) -> ScaleTarget? {
        guard let ref = hpa[path: "spec", "scaleTargetRef"], let kind = ref["kind"]?.stringValue,
              let name = ref["name"]?.stringValue else { return nil }
        let group = ref["apiVersion"]?.stringValue.map(ObjectIdentity.group(ofAPIVersion:)) ?? ""
        return ScaleTarget(group: group, kind: kind, namespace: hpa[path: "metadata", "namespace"]?.stringValue, name: name)
    }

    /// The fields each manager owns on `object`, status writers left out. With `paths`, every
    /// path is the one stored copy of it, shared with the other objects of the same read.
    static func fieldsByManager(_ object: Value, paths: FieldPathInterner? = nil) -> [String: [[String]]] {
        var out: [String: [[String]]] = [:]
        for entry in ManagedFields.entries(of: object) where entry.subresource != "status" {
            let leaves = ManagedFields.leafPaths(entry.fields)
            out[entry.manager, default: []] += paths.map { interner in leaves.map(interner.shared) } ?? leaves
        }
        return out
    }
}

/// One stored copy of each field path seen in one read of a cluster's live state. Objects of one
/// kind carry the same paths in their managedFields, and at 10,000 objects a copy each was tens
/// of megabytes of a no-op plan's peak (issue 18 §5).
final class FieldPathInterner {
    private var seen: Set<[String]> = []

    func shared(_ path: [String]) -> [String] {
        if let stored = seen.firstIndex(of: path) { return seen[stored] }
        seen.insert(path)
        return path
    }
}
