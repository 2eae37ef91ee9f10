import SluiceCore
import SluiceSpec
import SluiceYAML

/// A CEL expression as written in a policy, with where it is written.
public struct PolicyExpression: Sendable, Hashable {
    public var source: String
    /// Where the expression's text starts (the scalar's position in the YAML file).
    public var location: SourceLocation
}

/// `admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy`, as Sluice evaluates it against
/// rendered objects instead of API requests.
public struct AdmissionPolicy: Sendable {
    public enum FailurePolicy: String, Sendable, Hashable, CaseIterable { case Fail, Ignore }

    /// One entry of `spec.validations`.
    public struct Validation: Sendable, Hashable {
        public var expression: PolicyExpression
        public var message: String?
        public var messageExpression: PolicyExpression?
        public var reason: String?
    }

    /// One entry of `spec.variables` or `spec.matchConditions`: a named expression.
    public struct NamedExpression: Sendable, Hashable {
        public var name: String
        public var expression: PolicyExpression
    }

    public var name: String
    public var location: SourceLocation
    public var failurePolicy: FailurePolicy
    /// `spec.paramKind`: the apiVersion and kind of the objects that parameterise the policy.
    public var paramKind: (apiVersion: String, kind: String)?
    public var matchConstraints: MatchResources
    public var matchConditions: [NamedExpression]
    public var variables: [NamedExpression]
    public var validations: [Validation]
}

/// `admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBinding`.
public struct AdmissionPolicyBinding: Sendable {
    /// `spec.paramRef`: which parameter object(s) the binding hands to its policy.
    public struct ParamRef: Sendable, Hashable {
        public var name: String?
        public var namespace: String?
        public var selector: LabelSelector?
        /// `Allow` or `Deny` when no parameter object is found (Kubernetes requires it to be set).
        public var denyWhenNotFound: Bool
    }

    public var name: String
    public var location: SourceLocation
    public var policyName: String
    public var paramRef: ParamRef?
    public var validationActions: [ValidationAction]
    /// Further narrows what the policy's matchConstraints select; `nil` adds no constraint.
    public var matchResources: MatchResources?
}

/// `matchConstraints` / `matchResources`: which objects a policy or binding applies to.
public struct MatchResources: Sendable {
    /// One `resourceRules` entry. `*` matches everything in a list.
    public struct Rule: Sendable, Hashable {
        public var apiGroups: [String]
        public var apiVersions: [String]
        public var resources: [String]
        public var operations: [String]
        public var resourceNames: [String]

        func matches(group: String, version: String, resource: String, name: String, operation: Operation) -> Bool {
            func any(_ list: [String], _ value: String) -> Bool { list.contains("*") || list.contains(value) }
            return any(apiGroups, group) && any(apiVersions, version) && any(resources, resource)
                && any(operations, operation.rawValue) && (resourceNames.isEmpty || resourceNames.contains(name))
        }
    }

    public var resourceRules: [Rule]
    public var excludeResourceRules: [Rule]
    public var namespaceSelector: LabelSelector
    public var objectSelector: LabelSelector

    /// What matching looks at, computed once per object for all policies.
    struct Target {
        var group, version, resource, name: String
        var labels: [String: String]
        var namespaceLabels: [String: String]?
        var operation: Operation

        /// The part after the last `/` that has something after it (`apps/v1` → `v1`), or the
        /// whole when there is none.
        static func version(of apiVersion: String) -> String {
            let utf8 = apiVersion.utf8
            // group/version: one look for the last slash (a generic split of the string cost
            // more than the rest of selecting an object).
            if let slash = utf8.lastIndex(of: UInt8(ascii: "/")), utf8.index(after: slash) != utf8.endIndex {
                return String(apiVersion[utf8.index(after: slash)...])
            }
            return apiVersion.split(separator: "/").last.map(String.init) ?? apiVersion
        }

        init(_ object: Value, namespaceLabels: [String: String], operation: Operation) {
            let apiVersion = object["apiVersion"]?.stringValue ?? ""
            group = ObjectIdentity.group(ofAPIVersion: apiVersion)
            version = Self.version(of: apiVersion)
            resource = ResourceNames.plural(of: object["kind"]?.stringValue ?? "")
            name = object[path: "metadata", "name"]?.stringValue ?? ""
            labels = SpecObject.stringMap(object[path: "metadata", "labels"])
            // Cluster-scoped objects are not subject to namespaceSelector, as in Kubernetes.
            self.namespaceLabels = object[path: "metadata", "namespace"] != nil ? namespaceLabels : nil
            self.operation = operation
        }
    }

    /// Whether an object is selected (resource rules, exclusions, namespace and object selectors).
    func matches(_ t: Target) -> Bool {
        guard resourceRules.contains(where: { $0.matches(group: t.group, version: t.version, resource: t.resource, name: t.name, operation: t.operation) }),
              !excludeResourceRules.contains(where: { $0.matches(group: t.group, version: t.version, resource: t.resource, name: t.name, operation: t.operation) })
        else { return false }
        if let namespaceLabels = t.namespaceLabels, !namespaceSelector.matches(namespaceLabels) { return false }
        return objectSelector.matches(t.labels)
    }
}

/// The admission operation an evaluation stands for: a new object is a CREATE, one that exists at
/// the base revision (or live on the cluster) an UPDATE, one that goes away a DELETE.
public enum Operation: String, Sendable, Hashable, CaseIterable { case CREATE, UPDATE, DELETE }

/// Kind → resource name (`FlinkDeployment` → `flinkdeployments`), as the API server's REST mapping
/// names them for the kinds specs use.
public enum ResourceNames {
    static let irregular: [String: String] = [
        "Endpoints": "endpoints", "Ingress": "ingresses", "IngressClass": "ingressclasses",
        "NetworkPolicy": "networkpolicies", "PodSecurityPolicy": "podsecuritypolicies", "PriorityClass": "priorityclasses",
        "StorageClass": "storageclasses", "RuntimeClass": "runtimeclasses", "ValidatingAdmissionPolicy": "validatingadmissionpolicies",
    ]

    public static func plural(of kind: String) -> String {
        if let known = irregular[kind] { return known }
        let lower = kind.lowercased()
        if lower.hasSuffix("y"), let last = lower.dropLast().last, !"aeiou".contains(last) { return lower.dropLast() + "ies" }
        if lower.hasSuffix("s") || lower.hasSuffix("x") || lower.hasSuffix("ch") || lower.hasSuffix("sh") { return lower + "es" }
        return lower + "s"
    }
}
