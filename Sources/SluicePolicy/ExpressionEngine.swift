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
    func evaluate(_ inputs: [String: Value]) throws -> Value
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
