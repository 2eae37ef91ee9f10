/// A parsed CEL expression. Macros are expanded by the parser, so the evaluator sees
/// comprehensions and presence tests instead of calls named `all`, `has`, ...
indirect enum Expr: Sendable {
    case literal(CELValue)
    case ident(String)
    /// `.name`: a variable of the activation itself, past local variables and the container.
    case rootIdent(String)
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
    /// `e.?f`: an optional of field `f`, empty when `e` has no such field.
    case optionalSelect(Expr, String)
    /// `e[?k]`: an optional of `e[k]`, empty when the key or index is absent.
    case optionalIndex(Expr, Expr)
    /// A list literal with `?x` entries (`entries[i]` is optional when `optional[i]`): an optional
    /// entry is added only when it holds a value. Plain lists stay `.list`, which is cheaper.
    case optionalEntryList([Expr], optional: [Bool])
    /// A map literal with `?k: v` entries, added only when `v` holds a value.
    case optionalEntryMap([(key: Expr, value: Expr, optional: Bool)])
    /// `opt.optMap(x, body)` (`flatten` false) or `opt.optFlatMap(x, body)` (`flatten` true).
    case optionalMap(Expr, variable: String, body: Expr, flatten: Bool)
    /// A select chain over an identifier, `a.b.c` (`names` ["a", "b", "c"]), evaluated as `plain`
    /// unless `a` is undeclared: then the longest dotted prefix bound as a variable ("a.b.c",
    /// then "a.b") is read and the rest selected from it. `rooted` for `.a.b.c`, which ignores
    /// the container.
    case qualified([String], plain: Expr, rooted: Bool)
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
