import SluiceCore
import SluiceYAML

/// Everything a spec repository declares at one revision, classified by kind and validated.
///
/// A `SpecSet` exists only when loading found no errors: "nothing partial" starts here.
public struct SpecSet: Sendable {
    /// The revision the specs were read at (a commit id, or `working-tree`).
    public var revision: String
    public var clusters: [ClusterSpec]
    public var environments: [EnvironmentSpec]
    /// FlinkDeployments, FlinkSessionJobs and plain Kubernetes manifests.
    public var workloads: [SpecObject]
    /// ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding documents found under the spec root.
    public var policies: [SpecObject]
    /// Warnings found while loading; errors would have thrown.
    public var warnings: [Diagnostic]
    /// Every file that was read (tree-relative), so that a later stage never reads one twice.
    public var files: Set<String> = []

    public func cluster(named name: String) -> ClusterSpec? { clusters.first { $0.name == name } }
    public func environment(named name: String) -> EnvironmentSpec? { environments.first { $0.name == name } }
}
