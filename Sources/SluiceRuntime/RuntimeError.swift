import SluiceCore

/// Something the bundled runtime could not do: a FlinkDeployment it cannot turn into processes, a plan
/// over the memory budget, processes that would not start, or state it cannot read or write.
public struct RuntimeError: SluiceError, Equatable {
    /// What kind of failure this is, for callers that react differently (e.g. to a budget refusal).
    public enum Kind: String, Sendable, Codable {
        case invalidPlan, memoryBudget, startFailed, startupTimeout, degraded, stopped, state
    }

    public var kind: Kind
    public var location: SourceLocation?
    public var message: String
    public var hint: String?

    public init(_ kind: Kind, _ message: String, at location: SourceLocation? = nil, hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
        self.hint = hint
    }
}
