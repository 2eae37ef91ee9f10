import SluiceCEL
import SluiceYAML

/// How policies compile and evaluate their expressions: Sluice's CEL, over `Value` inputs.
public struct CELExpressionEngine: Sendable {
    /// The work one evaluation may do before it is stopped (see `CELProgram.evaluate`).
    public var costLimit: Int

    public init(costLimit: Int = 1_000_000) { self.costLimit = costLimit }

    /// Compiles `expression`; a syntax error is thrown as an `ExpressionError` with its position
    /// inside the expression text.
    func compile(_ expression: String) throws -> Compiled {
        do {
            return Compiled(program: try CEL.compile(expression), costLimit: costLimit)
        } catch let error as CELError {
            throw ExpressionError(error.message, line: error.line, column: error.column)
        }
    }

    /// A compiled expression, safe to evaluate from many tasks at once.
    struct Compiled: Sendable {
        let program: CELProgram
        let costLimit: Int

        /// Evaluates against named inputs (`object`, `oldObject`, `params`, `variables`, `cluster`,
        /// `environment`, `request`); throws `ExpressionError` on an evaluation error.
        func evaluate(_ inputs: ExpressionInputs) throws -> Value {
            try CELBridge.value(evaluateCEL(inputs))
        }

        /// The result as CEL gives it: a policy's variables are CEL values, as in Kubernetes.
        func evaluateCEL(_ inputs: ExpressionInputs) throws -> CELValue {
            do {
                return try program.evaluate(inputs.activation, costLimit: costLimit)
            } catch let error as CELError {
                throw ExpressionError(error.message)
            }
        }
    }
}

/// Conversions between YAML values and CEL values.
enum CELBridge {
    static func cel(_ value: Value) -> CELValue {
        switch value.kind {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(Int64(i))
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .list(let l): return .list(l.map(cel))
        case .map(let m):
            // Keys and values apart, each array made at its size (a sequence of pairs grew one).
            let entries = m.entries
            return .map(CELMap(distinctStringKeys: entries.map(\.key), values: entries.map { cel($0.value) }))
        }
    }

    static func value(_ cel: CELValue) throws -> Value {
        switch cel {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(Int(i))
        case .uint(let u):
            guard let i = Int(exactly: u) else { throw ExpressionError("uint \(u) is too large") }
            return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .bytes(let b): return .string(String(decoding: b, as: UTF8.self))
        case .type(let t): return .string(t)
        case .duration(let d): return .string(d.description)
        case .timestamp(let t): return .string(t.description)
        case .object(let o): return .string(o.description)
        // An optional result is its value, or null when it is empty.
        case .optional(let wrapped): return try wrapped.map(value) ?? .null
        case .list(let l): return .list(try l.map(value))
        case .map(let m):
            var out = Mapping()
            for (k, v) in m.entries {
                guard case .string(let key) = k else { throw ExpressionError("map key of type \(k.typeName) in a result") }
                out[key] = try value(v)
            }
            return .map(out)
        }
    }
}
