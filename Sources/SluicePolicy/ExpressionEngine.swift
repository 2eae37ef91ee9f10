import SluiceCore
import SluiceYAML

/// The seam between policies and the expression language: compile once, evaluate many times.
/// `SluiceCEL` provides the implementation; policy evaluation never depends on its internals.
public protocol ExpressionEngine: Sendable {
    /// Compiles `expression`; a syntax error is thrown as an `ExpressionError` with its position
    /// inside the expression text.
    func compile(_ expression: String) throws -> any CompiledExpression
}

/// A compiled expression, safe to evaluate from many tasks at once.
public protocol CompiledExpression: Sendable {
    /// Evaluates against named inputs (`object`, `oldObject`, `params`, `variables`, `cluster`,
    /// `environment`, `request`); throws `ExpressionError` on an evaluation error.
    func evaluate(_ inputs: ExpressionInputs) throws -> Value
}

/// The named inputs of the evaluations for one object, shared by all the expressions of a
/// policy, so that an engine converts each input to its own representation once, not once per
/// expression. Used by one evaluation at a time.
public final class ExpressionInputs: @unchecked Sendable {
    public private(set) var values: [String: Value]
    /// The names set since the engine last brought `engineState` up to date.
    public var changed: Set<String>
    /// Whatever the engine keeps between evaluations (for CEL, the converted activation).
    public var engineState: Any?

    public init(_ values: [String: Value]) {
        self.values = values
        changed = Set(values.keys)
    }

    public subscript(name: String) -> Value? {
        get { values[name] }
        set {
            values[name] = newValue
            changed.insert(name)
        }
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
