import SluiceCore
import SluiceKubernetes
import SluiceSync
import Testing

/// A cluster that cannot be planned says why as a type: metrics and exit codes switch on it.
@Suite("Cluster failures are typed")
struct ClusterFailureTests {
    struct Refused: Error, CustomStringConvertible { var description: String { "HTTP 500 from the JobManager" } }

    @Test("reading live state fails as unreachable, credentials, forbidden or otherwise")
    func liveState() {
        func failure(_ error: any Error) -> ClusterFailure.LiveStateFailure {
            guard case .liveState(let reason, _, _) = ClusterFailure.liveState(of: "c", error) else { return .failed }
            return reason
        }
        let server = "https://127.0.0.1:6443"
        #expect(failure(KubernetesError(verb: "list", object: "ConfigMaps in a", server: server)) == .unreachable)
        #expect(failure(KubernetesError(verb: "list", object: "ConfigMaps in a", server: server, status: 401, reason: "Unauthorized")) == .credentials)
        #expect(failure(KubernetesError(verb: "list", object: "ConfigMaps in a", server: server, status: 403, reason: "Forbidden")) == .forbidden)
        #expect(failure(KubernetesError(verb: "list", object: "ConfigMaps in a", server: server, status: 500)) == .failed)
        #expect(failure(Refused()) == .failed)

        let unread = ClusterFailure.liveState(of: "edge", Refused())
        #expect(unread.isLiveStateUnreadable)
        #expect(unread.description == "cannot read the live state of edge: HTTP 500 from the JobManager")
        #expect(!ClusterFailure.massPrune(deletes: 3, owned: 4, cluster: "edge").isLiveStateUnreadable)
        #expect(!ClusterFailure.deniedByPolicy([PolicyDenial(policy: "p", object: "o", message: "m")]).isLiveStateUnreadable)
    }

    @Test("a policy refusal names at most five denials and counts the rest")
    func denials() {
        let denials = (1...7).map { PolicyDenial(policy: "p\($0)", object: "FlinkDeployment a/j", message: "no") }
        let text = ClusterFailure.deniedByPolicy(denials).description
        #expect(text.hasPrefix("policies deny the change: p1 on FlinkDeployment a/j: no; "))
        #expect(text.contains("p5 on") && !text.contains("p6 on") && text.hasSuffix("; and 2 more"))
    }
}
