import SluiceCore

/// A Flink REST call failed or a lifecycle step could not finish.
public struct FlinkError: SluiceError {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}
