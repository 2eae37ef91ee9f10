import SluiceCore
import SluiceKubernetes

/// Why a cluster has no actions in a plan. Each case carries what its message needs, so callers
/// decide on the case and print the message.
public enum ClusterFailure: SluiceError {
    /// No driver could be made for the cluster (its spec, connection or credentials cannot be used).
    case unavailable(String)
    /// Another Sluice process is changing the cluster (its lock file on this host, or its Lease on
    /// a Kubernetes cluster).
    case locked(any SluiceError)
    /// The live state could not be read; `reason` says whether the cluster answered at all.
    case liveState(LiveStateFailure, cluster: String, error: String)
    /// The plan would delete more than half of the objects Sluice owns on the cluster.
    case massPrune(deletes: Int, owned: Int, cluster: String)
    /// A ValidatingAdmissionPolicy with a Deny action fired on a planned object.
    case deniedByPolicy([PolicyDenial])

    /// How reading a cluster's live state failed.
    public enum LiveStateFailure: String, Sendable, Hashable {
        /// Nothing (or no complete answer) came back: refused, reset, timed out.
        case unreachable
        /// The cluster refused the credentials (HTTP 401).
        case credentials
        /// The credentials may not read what Sluice needs (HTTP 403).
        case forbidden
        /// Any other failure.
        case failed

        public init(_ error: any Error) {
            switch (error as? KubernetesError)?.status {
            case 401: self = .credentials
            case 403: self = .forbidden
            default: self = (error as? TransportFailureReporting)?.isTransportFailure == true ? .unreachable : .failed
            }
        }
    }

    public static func liveState(of cluster: String, _ error: any Error) -> ClusterFailure {
        .liveState(LiveStateFailure(error), cluster: cluster, error: "\(error)")
    }

    /// Whether the cluster's live state could not be read (the cluster is unreachable to Sluice).
    public var isLiveStateUnreadable: Bool {
        if case .liveState = self { return true }
        return false
    }

    public var message: String {
        switch self {
        case .unavailable(let detail): detail
        case .locked(let error): error.message
        case .liveState(_, let cluster, let error): "cannot read the live state of \(cluster): \(error)"
        case .massPrune(let deletes, let owned, let cluster):
            "refusing to delete \(deletes) of the \(owned) objects Sluice owns on \(cluster) in one sync"
        case .deniedByPolicy(let denials):
            "policies deny the change: " + denials.prefix(5).map(\.description).joined(separator: "; ")
                + (denials.count > 5 ? "; and \(denials.count - 5) more" : "")
        }
    }

    public var hint: String? {
        switch self {
        case .locked(let error): error.hint
        case .massPrune: "if that is intended, run again with --allow-mass-prune"
        case .unavailable, .liveState, .deniedByPolicy: nil
        }
    }

    /// One line: the message, and the hint after a semicolon (how plans and reports print it).
    public var description: String {
        switch self {
        case .locked(let error): "\(error)"
        case .massPrune: "\(message); \(hint ?? "")"
        default: message
        }
    }
}

/// A Deny that fired on a planned object: the policy, the object and the policy's message.
public struct PolicyDenial: Sendable, Hashable, CustomStringConvertible {
    public var policy: String
    public var object: String
    public var message: String

    public init(policy: String, object: String, message: String) {
        self.policy = policy
        self.object = object
        self.message = message
    }

    public var description: String { "\(policy) on \(object): \(message)" }
}
