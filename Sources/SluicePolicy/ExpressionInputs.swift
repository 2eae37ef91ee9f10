import SluiceCEL
import SluiceCore
import SluiceYAML

/// The named inputs of the evaluations for one object, shared by all the expressions of the
/// policies evaluated for it. Each of the subject's inputs is converted to a CEL value once, and
/// only when a policy that reads it is evaluated (a policy that never reads `oldObject` does not
/// pay for converting it); a binding's parameters and a policy's variables come in as CEL values.
/// Used by one evaluation at a time.
final class ExpressionInputs {
    /// The subject's inputs not converted yet.
    private var pending: [String: Value]
    /// What the expressions see.
    private(set) var activation: [String: CELValue] = [:]

    init(_ values: [String: Value]) { pending = values }

    /// Converts those of `names` (the subject's inputs a policy reads) not converted yet.
    func prepare(_ names: [String]) {
        guard !pending.isEmpty else { return }
        for name in names {
            if let value = pending.removeValue(forKey: name) { activation[name] = CELBridge.cel(value) }
        }
    }

    /// An input given as a CEL value: `params`, `variables`.
    subscript(name: String) -> CELValue? {
        get { activation[name] }
        set { activation[name] = newValue }
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
