import SluiceCore

/// A YAML document or JSON text that Sluice cannot read: a syntax error, a value that does not
/// fit its tag, a duplicate key, JSON that is not strict RFC 8259, or input that exceeds
/// `YAMLLimits` or the JSON nesting depth. One type for both, as JSON is read into the same `Value`.
public struct YAMLError: SluiceError, Hashable {
    /// Where the problem is: file, line and column (1-based, columns in characters).
    public var location: SourceLocation?
    /// What is wrong, in one sentence.
    public var message: String
    /// What to do about it.
    public var hint: String?

    /// Makes an error at `location` with a message and an optional hint.
    public init(at location: SourceLocation?, _ message: String, hint: String? = nil) {
        self.location = location
        self.message = message
        self.hint = hint
    }
}
