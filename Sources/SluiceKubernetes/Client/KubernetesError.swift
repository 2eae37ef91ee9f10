import SluiceCore
import SluiceHTTP
import SluiceYAML

/// A request to the API server failed. It names the verb, the object, the cluster's server URL
/// (never credentials), the HTTP status and the API server's own `Status` message, and says what
/// to check.
public struct KubernetesError: SluiceError, TransportFailureReporting {
    /// The RBAC verb of the request: `get`, `list`, `create`, `update`, `patch`, `delete`.
    public var verb: String
    /// What the request was about, e.g. `ConfigMap team-a/settings` or `FlinkDeployments in team-a`.
    public var object: String
    /// The API server URL, without credentials or query.
    public var server: String
    /// The HTTP status; nil when no response arrived (connection, TLS or timeout failures).
    public var status: Int?
    /// The `reason` of the server's Status object (`Forbidden`, `NotFound`, `Conflict`, `Invalid`, ...).
    public var reason: String?
    /// The `message` of the server's Status object, or the transport failure.
    public var serverMessage: String?
    /// The resource (`configmaps`, `flinkdeployments.flink.apache.org`) for RBAC hints.
    public var resource: String?
    /// A hint supplied by the layer that failed (e.g. the HTTP client's advice for a TLS failure).
    public var detailHint: String?
    /// Where the request reached: one namespace, all namespaces, or a cluster-scoped resource
    /// (which grant a 403 needs depends on it).
    public var scope: Scope?
    /// The failure was in the transport (nothing, or no complete answer, came back), not an
    /// answer from the API server.
    public var isTransportFailure: Bool { status == nil }
    /// What the HTTP client saw when no complete answer came back (a timeout, an answer cut off
    /// at the size limit, ...); nil for an answer from the server.
    public var transportFailure: HTTPError.Kind?

    public enum Scope: Sendable, Hashable {
        case namespace(String)
        case allNamespaces
        case clusterScoped
    }

    /// An error; the client fills every field it knows.
    public init(verb: String, object: String, server: String, status: Int? = nil, reason: String? = nil,
                serverMessage: String? = nil, resource: String? = nil, detailHint: String? = nil) {
        self.verb = verb
        self.object = object
        self.server = server
        self.status = status
        self.reason = reason
        self.serverMessage = serverMessage
        self.resource = resource
        self.detailHint = detailHint
    }

    /// `cannot <verb> <object> on <server>: HTTP <status> <reason>: <server's message>`.
    public var message: String {
        var text = "cannot \(verb) \(object) on \(server)"
        if let status { text += ": HTTP \(status)\(reason.map { " \($0)" } ?? "")" }
        if let serverMessage, !serverMessage.isEmpty { text += ": \(serverMessage)" }
        return text
    }

    /// What to check, by HTTP status.
    public var hint: String? {
        switch status {
        case nil: return detailHint ?? "check that the API server is reachable from here (address, proxy, CA)"
        case 400, 422: return "the API server rejected the object; fix the field its message names in the manifest"
        case 401: return "the API server did not accept the credentials; check the kubeconfig context's token, client certificate or exec plugin (has it expired?)"
        case 403: return forbiddenHint
        case 404: return "check that the namespace exists and that the resource's CRD is installed (for flink.apache.org: the Flink Kubernetes Operator)"
        case 409: return "the object changed while Sluice was writing it; sync again"
        case 429: return "the API server is rate limiting (API priority and fairness); sync less often or raise its limits"
        case let code? where code >= 500: return "the API server failed; check its health and its logs"
        default: return detailHint
        }
    }

    /// The one grant that fixes a 403, by where the request reached.
    var forbiddenHint: String {
        let what = resource ?? "this resource"
        let subject = Self.forbiddenUser(serverMessage).map { "the user \($0)" } ?? "Sluice's identity"
        switch scope {
        case .namespace(let namespace)?:
            return "grant \(subject) \(verb) on \(what) in namespace \(namespace): a Role in \(namespace) with that rule and a RoleBinding in \(namespace) to \(subject)"
        case .allNamespaces?:
            return "listing \(what) across all namespaces needs a ClusterRole with \(verb) on \(what) and a ClusterRoleBinding to \(subject); "
                + "or set spec.kubernetes.scope: namespaced on the Cluster, so Sluice lists only the namespaces it uses and a Role with \(verb) on \(what) in each of them is enough"
        case .clusterScoped?:
            return "\(what) is cluster-scoped: grant \(subject) \(verb) on it with a ClusterRole and a ClusterRoleBinding"
        case nil:
            return "grant \(subject) \(verb) on \(what) (a Role or ClusterRole and a binding)"
        }
    }

    /// The user a Forbidden message names (`User "system:serviceaccount:ns:sa" cannot ...`).
    static func forbiddenUser(_ message: String?) -> String? {
        guard let message, let range = message.range(of: "User \"") else { return nil }
        let rest = message[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    /// The fields of a Kubernetes `Status` response body, if it is one.
    static func parseStatus(_ body: [UInt8]) -> (reason: String?, message: String?, details: Value?) {
        guard let value = try? JSON.decode(body, file: "<response>"), value["kind"]?.stringValue == "Status" else {
            return (nil, nil, nil)
        }
        return (value["reason"]?.stringValue, value["message"]?.stringValue, value["details"])
    }
}

/// A server-side apply that other field managers' ownership blocked (HTTP 409): Sluice would have
/// changed fields that another manager (kubectl, a controller, a person) set to another value.
public struct ApplyConflict: SluiceError {
    /// One conflicting field and the manager that owns it.
    public struct Field: Sendable, Hashable {
        /// The field path as the API server writes it, e.g. `.spec.replicas`.
        public var field: String
        /// The field manager that owns it, e.g. `kubectl-client-side-apply`.
        public var manager: String

        /// A conflicting field owned by `manager`.
        public init(field: String, manager: String) {
            self.field = field
            self.manager = manager
        }
    }

    /// The object that was being applied.
    public var object: ObjectReference
    /// The API server URL, without credentials.
    public var server: String
    /// The fields other managers own, with their owners.
    public var conflicts: [Field]
    /// The API server's message.
    public var serverMessage: String

    /// A conflict report; the client builds it from the server's Status `details.causes`.
    public init(object: ObjectReference, server: String, conflicts: [Field], serverMessage: String) {
        self.object = object
        self.server = server
        self.conflicts = conflicts
        self.serverMessage = serverMessage
    }

    public var message: String {
        let fields = conflicts.map { "\($0.field) (owned by \($0.manager))" }.joined(separator: ", ")
        return "server-side apply of \(object) on \(server) conflicts with other field managers: \(fields.isEmpty ? serverMessage : fields)"
    }

    public var hint: String? {
        "another tool changed these fields; remove them from the spec, stop the other manager, or let Sluice take them over (force)"
    }

    /// The conflicts listed in the Status `details.causes` (reason FieldManagerConflict).
    static func fields(from details: Value?) -> [Field] {
        (details?["causes"]?.listValue ?? []).compactMap { cause in
            guard cause["reason"]?.stringValue == "FieldManagerConflict", let field = cause["field"]?.stringValue else { return nil }
            // The message reads: conflict with "<manager>" using <apiVersion>
            let message = cause["message"]?.stringValue ?? ""
            let parts = message.split(separator: "\"", omittingEmptySubsequences: false)
            let manager = parts.count >= 3 ? String(parts[1]) : message
            return Field(field: field, manager: manager)
        }
    }
}
