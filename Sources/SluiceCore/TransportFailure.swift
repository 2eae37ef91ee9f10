/// An error that can say whether the cluster was unreachable (connection refused or reset, a
/// timeout, no answer) rather than answering with a refusal. A sync stops a cluster's remaining
/// actions after several of these in a row instead of trying every one of them.
public protocol TransportFailureReporting: Error {
    var isTransportFailure: Bool { get }
}
