/// A parsed CEL expression. Macros are expanded by the parser, so the evaluator sees
/// comprehensions and presence tests instead of calls named `all`, `has`, ...
indirect enum Expr: Sendable {
    case literal(CELValue)
    case ident(String)
    case select(Expr, String)
    /// `has(e.f)`: whether field `f` is present.
    case presence(Expr, String)
    case index(Expr, Expr)
    case call(target: Expr?, name: String, args: [Expr])
    case list([Expr])
    case map([(Expr, Expr)])
    case and(Expr, Expr)
    case or(Expr, Expr)
    case conditional(Expr, Expr, Expr)
    case comprehension(Comprehension)
    /// `cel.bind(name, value, body)`: `body` with `name` bound to `value`.
    case bind(String, Expr, Expr)
    /// `cel.block([slots], body)`: `body` may read slot `n` as `cel.index(n)`; slots are
    /// evaluated once, when first read.
    case block([Expr], Expr)
    /// `cel.index(n)` inside a block.
    case blockIndex(Int)
}

/// The macros over lists and maps.
struct Comprehension: Sendable {
    enum Kind: Sendable { case all, exists, existsOne, map, filter, transformList, transformMap, transformMapEntry }
    var kind: Kind
    var range: Expr
    var variable: String
    /// The second variable of the two-variable forms: the value (for a list the first is the index).
    var variable2: String? = nil
    /// For `map(x, filter, transform)`: the filter.
    var filter: Expr?
    var body: Expr
}
