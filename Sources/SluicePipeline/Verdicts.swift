import SluiceCore
import SluicePolicy
import SluiceSpec
import SluiceSync
import SluiceYAML

/// The policy stage: every ValidatingAdmissionPolicy of the tree evaluated on every rendered
/// object, as the API server would admit it.
public enum Verdicts {
    /// Compiles the policies of the `policies` folder at this revision plus those shipped in the
    /// specs; a tree without that folder is checked against the specs' policies only.
    public static func engine(_ tree: any SourceTree, policies: String, specs: SpecSet) throws -> PolicyEngine {
        let hasFolder = (try? tree.files(under: policies)) != nil
        let set = try PolicyLoader.load(from: tree, path: hasFolder ? policies : nil, specs: specs)
        return try PolicyEngine(set)
    }

    /// What one policy evaluation sees: the object, the object it replaces (`oldObject`, `nil`
    /// when it is new) and where it is placed.
    public static func subject(_ object: DesiredObject, replacing old: Value?, on cluster: ClusterSpec, specs: SpecSet) -> PolicyEngine.Subject {
        PolicyEngine.Subject(object: object.value, oldObject: old, identity: object.identity, source: object.source, cluster: cluster,
                             environment: specs.environment(named: object.environment), environmentName: object.environment)
    }

    /// The plan with every cluster that a Deny fires on emptied and marked denied, and the
    /// violations (warnings included) of each cluster the policies were evaluated on, an empty list
    /// for a clean one. `oldObject` is the live object.
    public static func gate(_ plan: Plan, specs: SpecSet, engine: PolicyEngine) -> (plan: Plan, violations: [String: [Violation]]) {
        var gated = plan
        var violations: [String: [Violation]] = [:]
        for index in gated.clusters.indices where gated.clusters[index].failure == nil {
            let cluster = gated.clusters[index]
            let subjects = cluster.actions.compactMap { action in
                action.desired.map { subject($0, replacing: action.live?.value, on: cluster.cluster, specs: specs) }
            }
            let found = engine.evaluate(subjects)
            violations[cluster.cluster.name] = found
            let denials = found.filter(\.denies)
            guard !denials.isEmpty else { continue }
            gated.clusters[index].actions = []
            gated.clusters[index].failure = .deniedByPolicy(denials.map { PolicyDenial(policy: $0.policy, object: "\($0.object)", message: $0.message) })
        }
        return (gated, violations)
    }
}
