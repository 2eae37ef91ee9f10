import SluiceCEL
import SluiceCore
import SluiceYAML

/// The named inputs of the evaluations for one object, shared by all the expressions of a
/// policy, so that each input is converted to a CEL value once, not once per expression. Used by
/// one evaluation at a time.
final class ExpressionInputs {
    private var values: [String: Value]
    /// The names set since `activation()` last converted them.
    private var changed: Set<String>
    private var converted: [String: CELValue] = [:]

    init(_ values: [String: Value]) {
        self.values = values
        changed = Set(values.keys)
    }

    subscript(name: String) -> Value? {
        get { values[name] }
        set {
            values[name] = newValue
            changed.insert(name)
        }
    }

    /// The inputs as CEL values; converts only those set since the last call.
    func activation() -> [String: CELValue] {
        for name in changed { converted[name] = values[name].map(CELBridge.cel) }
        changed = []
        return converted
    }
}

/// An expression failed to compile or evaluate; the position is inside the expression text.
public struct ExpressionError: SluiceError {
    public var message: String
    /// 1-based line and column inside the expression, when known.
    public var line: Int?
    public var column: Int?

    public init(_ message: String, line: Int? = nil, column: Int? = nil) {
        self.message = message
        self.line = line
        self.column = column
    }
}
