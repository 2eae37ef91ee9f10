import SluiceRegex

/// A recursive-descent parser for the CEL grammar.
///
/// Hostile input is bounded before any work that depends on it, with cel-go's parser defaults
/// (`parser.NewParser`: `ExpressionSizeCodePointLimit` 100,000, `MaxRecursionDepth` 250):
/// - the source is at most `maxCodePoints` code points, checked before it is tokenised;
/// - every node's depth in the tree is known as it is built and at most `maxDepth`, so
///   left-associative chains (`1+1+…`, `a.b.c…`, `a[0][0]…`) are bounded as much as
///   parentheses, lists, maps, calls, ternaries and macros. cel-go counts the same chains with its
///   `recursionListener` (one counter per left-recursive grammar rule);
/// - `&&` and `||` chains become balanced trees (cel-go's `balancer`), so a long conjunction of
///   conditions is log-deep and allowed, as in Kubernetes;
/// - `!!!!x` and `----x` fold to at most one operator, as cel-go's `VisitLogicalNot` and
///   `VisitNegate` do.
/// With the tree's depth bounded, evaluation (a walk of the tree) and the tree's release are
/// bounded too; the evaluator keeps its own guard for what the tree does not show (`cel.block`).
struct Parser {
    static let maxDepth = 250
    static let maxCodePoints = 100_000

    /// A parsed subexpression with the depth of its tree.
    struct Node {
        var expr: Expr
        var depth: Int
        /// Where a call's argument starts, for errors about it.
        var start: Token? = nil
    }

    let source: String
    var tokens: [Token]
    var position = 0
    var depth = 0
    /// The parser's recursion in bytes of stack, behind `maxDepth` (see `StackGuard`).
    let stack = StackGuard(budget: StackGuard.budget)

    init(_ source: String) throws {
        self.source = source
        var codePoints = 0
        for _ in source.unicodeScalars {
            codePoints += 1
            if codePoints > Self.maxCodePoints {
                throw CELError("expression code point size exceeds limit: size: \(source.unicodeScalars.count), limit \(Self.maxCodePoints)")
            }
        }
        var lexer = Lexer(source)
        do {
            tokens = try lexer.tokens()
        } catch let error as CELError {
            throw Parser.located(error, source: source)
        }
    }

    /// Converts an offset-carrying error into one with a 1-based line and column.
    static func located(_ error: CELError, source: String) -> CELError {
        guard let offset = error.column, error.line == nil else { return error }
        var line = 1, column = 1
        for (i, c) in source.enumerated() {
            if i == offset { break }
            if c == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return CELError(error.message, line: line, column: column)
    }

    var current: Token { tokens[position] }

    func fail(_ message: String, _ token: Token? = nil) -> CELError {
        Parser.located(CELError(message, column: (token ?? current).offset), source: source)
    }

    mutating func accept(_ op: String) -> Bool {
        if case .op(op) = current.kind { position += 1; return true }
        return false
    }

    mutating func expect(_ op: String) throws {
        guard accept(op) else { throw fail("expected '\(op)'") }
    }

    mutating func parse() throws -> Expr {
        let e = try expression()
        guard case .end = current.kind else { throw fail("unexpected token after the expression") }
        return e.expr
    }

    /// A node over `children`, one level deeper than the deepest of them; refused, at `token`,
    /// when that is deeper than `maxDepth`.
    func node(_ expr: Expr, _ children: [Node], at token: Token) throws -> Node {
        let depth = 1 + (children.map(\.depth).max() ?? 0)
        if depth > Self.maxDepth { throw depthError(token) }
        return Node(expr: expr, depth: depth)
    }

    func depthError(_ token: Token) -> CELError {
        fail("expression recursion limit exceeded: \(Self.maxDepth) (nest or chain fewer operations)", token)
    }

    mutating func expression() throws -> Node {
        depth += 1
        defer { depth -= 1 }
        if depth > 16, depth > Self.maxDepth || stack.exhausted { throw depthError(current) }
        let condition = try logicalOr()
        let token = current
        if accept("?") {
            let yes = try logicalOr()
            try expect(":")
            let no = try expression()
            return try node(.conditional(condition.expr, yes.expr, no.expr), [condition, yes, no], at: token)
        }
        return condition
    }

    /// `a || b || …` (or `&&`) as a balanced tree: both are commutative in CEL (an error on one
    /// side loses to a decisive value on the other), so the shape does not change the result.
    func balanced(_ terms: ArraySlice<Node>, _ join: (Expr, Expr) -> Expr, at token: Token) throws -> Node {
        if terms.count == 1 { return terms[terms.startIndex] }
        let middle = terms.startIndex + terms.count / 2
        let left = try balanced(terms[..<middle], join, at: token), right = try balanced(terms[middle...], join, at: token)
        return try node(join(left.expr, right.expr), [left, right], at: token)
    }

    mutating func logicalOr() throws -> Node {
        let token = current
        var terms = [try logicalAnd()]
        while accept("||") { terms.append(try logicalAnd()) }
        return try balanced(terms[...], { .or($0, $1) }, at: token)
    }

    mutating func logicalAnd() throws -> Node {
        let token = current
        var terms = [try relation()]
        while accept("&&") { terms.append(try relation()) }
        return try balanced(terms[...], { .and($0, $1) }, at: token)
    }

    mutating func relation() throws -> Node {
        var e = try addition()
        while true {
            let token = current
            if case .op(let op) = current.kind, ["<", "<=", ">", ">=", "==", "!="].contains(op) {
                position += 1
                let rhs = try addition()
                e = try node(.call(target: nil, name: "_\(op)_", args: [e.expr, rhs.expr]), [e, rhs], at: token)
            } else if case .identifier("in") = current.kind {
                position += 1
                let rhs = try addition()
                e = try node(.call(target: nil, name: "@in", args: [e.expr, rhs.expr]), [e, rhs], at: token)
            } else {
                return e
            }
        }
    }

    mutating func addition() throws -> Node {
        var e = try multiplication()
        while true {
            let token = current
            guard case .op(let op) = token.kind, op == "+" || op == "-" else { return e }
            position += 1
            let rhs = try multiplication()
            e = try node(.call(target: nil, name: "_\(op)_", args: [e.expr, rhs.expr]), [e, rhs], at: token)
        }
    }

    mutating func multiplication() throws -> Node {
        var e = try unary()
        while true {
            let token = current
            guard case .op(let op) = token.kind, op == "*" || op == "/" || op == "%" else { return e }
            position += 1
            let rhs = try unary()
            e = try node(.call(target: nil, name: "_\(op)_", args: [e.expr, rhs.expr]), [e, rhs], at: token)
        }
    }

    mutating func unary() throws -> Node {
        let token = current
        if accept("!") {
            var count = 1
            while accept("!") { count += 1 }
            let operand = try member()
            if count % 2 == 0 { return operand }
            return try node(.call(target: nil, name: "!_", args: [operand.expr]), [operand], at: token)
        }
        if case .op("-") = current.kind {
            var count = 0
            while accept("-") { count += 1 }
            // A negated literal is a literal, so that -9223372036854775808 is representable.
            if count % 2 == 1 {
                switch current.kind {
                case .int(let v): position += 1; return try member(continuing: Node(expr: .literal(.int(-v)), depth: 1))
                case .uint(9_223_372_036_854_775_808): position += 1; return try member(continuing: Node(expr: .literal(.int(Int64.min)), depth: 1))
                case .double(let d): position += 1; return try member(continuing: Node(expr: .literal(.double(-d)), depth: 1))
                default: break
                }
            } else if case .uint(9_223_372_036_854_775_808) = current.kind {
                throw fail("invalid int literal: out of range")  // only its negation is an int
            }
            let operand = try member()
            if count % 2 == 0 { return operand }
            return try node(.call(target: nil, name: "-_", args: [operand.expr]), [operand], at: token)
        }
        return try member()
    }

    mutating func member(continuing start: Node? = nil) throws -> Node {
        var e = try start ?? primary()
        while true {
            let token = current
            if accept(".") {
                let optional = accept("?")
                // Kubernetes lets reserved words name fields after a dot (object.metadata.namespace).
                let name: String
                var quoted = false
                switch current.kind {
                case .identifier(let word): name = word
                case .reservedWord(let word): name = word
                case .quotedIdentifier(let word): name = word; quoted = true
                case .true: name = "true"
                case .false: name = "false"
                case .null: name = "null"
                default: throw fail("expected a field name after '.'")
                }
                position += 1
                let field = quoted ? name : Parser.unescapeField(name)
                if optional {
                    e = try node(.optionalSelect(Parser.qualify(e.expr), field), [e], at: token)
                } else if !quoted, accept("(") {
                    let args = try arguments(closing: ")")
                    try validateRegexLiteral(name, args, patternAt: 0, at: token)
                    let target = Node(expr: Parser.qualify(e.expr), depth: e.depth)
                    e = try macro(target: target, name: name, args: args, at: token)
                        ?? node(.call(target: target.expr, name: name, args: args.map(\.expr)), [target] + args, at: token)
                } else {
                    e = try node(.select(e.expr, field), [e], at: token)
                }
            } else if accept("[") {
                let optional = accept("?")
                let index = try expression()
                try expect("]")
                let target = Parser.qualify(e.expr)
                e = try node(optional ? .optionalIndex(target, index.expr) : .index(target, index.expr), [e, index], at: token)
            } else {
                return Node(expr: Parser.qualify(e.expr), depth: e.depth)
            }
        }
    }

    /// Wraps a select chain over an identifier (`a.b.c`) so that it can also name a variable
    /// with a dotted name; anything else is returned as it is.
    static func qualify(_ e: Expr) -> Expr {
        var names: [String] = []
        var node = e
        while case .select(let operand, let field) = node {
            names.append(field)
            node = operand
        }
        let rooted: Bool
        switch node {
        case .ident(let root): names.append(root); rooted = false
        case .rootIdent(let root): names.append(root); rooted = true
        default: return e
        }
        guard names.count > 1 else { return e }
        return .qualified(names.reversed(), plain: e, rooted: rooted)
    }

    mutating func arguments(closing: String) throws -> [Node] {
        var args: [Node] = []
        if accept(closing) { return args }
        repeat {
            if case .op(closing) = current.kind { break }  // trailing comma
            let start = current
            var arg = try expression()
            arg.start = start
            args.append(arg)
        } while accept(",")
        try expect(closing)
        return args
    }

    mutating func primary() throws -> Node {
        let token = current
        func leaf(_ e: Expr) -> Node { Node(expr: e, depth: 1) }
        switch token.kind {
        case .int(let v): position += 1; return leaf(.literal(.int(v)))
        case .uint(let v): position += 1; return leaf(.literal(.uint(v)))
        case .double(let v): position += 1; return leaf(.literal(.double(v)))
        case .string(let s): position += 1; return leaf(.literal(.string(s)))
        case .bytes(let b): position += 1; return leaf(.literal(.bytes(b)))
        case .true: position += 1; return leaf(.literal(.bool(true)))
        case .false: position += 1; return leaf(.literal(.bool(false)))
        case .null: position += 1; return leaf(.literal(.null))
        case .identifier(let name):
            position += 1
            if accept("(") {
                let args = try arguments(closing: ")")
                if name == "has" {
                    var argument = args.first?.expr
                    if case .qualified(_, let plain, _)? = argument { argument = plain }
                    guard args.count == 1, case .select(let operand, let field)? = argument else {
                        throw fail("has() takes a single field selection, e.g. has(object.spec.job)", token)
                    }
                    return try node(.presence(Parser.qualify(operand), field), args, at: token)
                }
                try validateRegexLiteral(name, args, patternAt: 1, at: token)
                return try node(.call(target: nil, name: name, args: args.map(\.expr)), args, at: token)
            }
            if case .op("{") = current.kind { throw fail("message construction is not supported (no protobuf types)", token) }
            return leaf(.ident(name))
        case .op("."):
            position += 1
            guard case .identifier(let name) = current.kind else { throw fail("expected an identifier after a leading '.'") }
            position += 1
            if accept("(") {
                let args = try arguments(closing: ")")
                return try node(.call(target: nil, name: name, args: args.map(\.expr)), args, at: token)
            }
            return leaf(.rootIdent(name))
        case .op("("):
            position += 1
            let e = try expression()
            try expect(")")
            return e
        case .op("["):
            position += 1
            var items: [Node] = [], optional: [Bool] = []
            if !accept("]") {
                repeat {
                    if case .op("]") = current.kind { break }  // trailing comma
                    optional.append(accept("?"))
                    items.append(try expression())
                } while accept(",")
                try expect("]")
            }
            let exprs = items.map(\.expr)
            return try node(optional.contains(true) ? .optionalEntryList(exprs, optional: optional) : .list(exprs), items, at: token)
        case .op("{"):
            position += 1
            var entries: [(key: Expr, value: Expr, optional: Bool)] = []
            var children: [Node] = []
            if !accept("}") {
                repeat {
                    if case .op("}") = current.kind { break }
                    let optional = accept("?")
                    let key = try expression()
                    try expect(":")
                    let value = try expression()
                    entries.append((key.expr, value.expr, optional))
                    children += [key, value]
                } while accept(",")
                try expect("}")
            }
            if entries.contains(where: \.optional) { return try node(.optionalEntryMap(entries), children, at: token) }
            return try node(.map(entries.map { ($0.key, $0.value) }), children, at: token)
        case .reservedWord(let word):
            throw fail("reserved identifier: \(word)")
        case .end:
            throw fail("unexpected end of expression")
        default:
            throw fail("unexpected token")
        }
    }

    /// A pattern written as a literal is compiled with the expression, as Kubernetes does with
    /// cel-go's `ValidateRegexLiterals`: an RE2 syntax error (a backreference, a lookahead) is a
    /// compile error at the pattern, not a failure of every evaluation.
    func validateRegexLiteral(_ name: String, _ args: [Node], patternAt index: Int, at token: Token) throws {
        guard Regex.functions.contains(name), index < args.count, case .literal(.string(let pattern)) = args[index].expr else { return }
        do {
            _ = try RE2Cache.compile(pattern)
        } catch let error as RE2.SyntaxError {
            throw fail("invalid \(name) argument: \(error.description)", args[index].start ?? token)
        }
    }

    /// Kubernetes' escapes for property names that are not CEL identifiers: `__dash__`, `__dot__`,
    /// `__slash__`, `__underscores__` and `__<reserved word>__`.
    static func unescapeField(_ name: String) -> String {
        guard name.contains("__") else { return name }
        if name.hasPrefix("__"), name.hasSuffix("__"), name.count > 4 {
            let inner = String(name.dropFirst(2).dropLast(2))
            if Lexer.reserved.contains(inner) || ["true", "false", "null", "in"].contains(inner) { return inner }
        }
        return name.replacingOccurrences(of: "__underscores__", with: "\u{0}")
            .replacingOccurrences(of: "__dash__", with: "-").replacingOccurrences(of: "__dot__", with: ".")
            .replacingOccurrences(of: "__slash__", with: "/").replacingOccurrences(of: "\u{0}", with: "__")
    }

    /// Expands the comprehension macros (`all`, `exists`, `exists_one`, `map`, `filter`, their
    /// two-variable forms, `transformList`, `transformMap`, `transformMapEntry`), `optMap`,
    /// `optFlatMap` and `cel.bind`, `cel.block`, `cel.index`.
    func macro(target targetNode: Node, name: String, args argNodes: [Node], at token: Token) throws -> Node? {
        guard let expanded = try macro(target: targetNode.expr, name: name, args: argNodes.map(\.expr)) else { return nil }
        return try node(expanded, [targetNode] + argNodes, at: token)
    }

    func macro(target: Expr, name: String, args: [Expr]) throws -> Expr? {
        if case .ident("cel") = target { return try celMacro(name, args) }
        if name == "optMap" || name == "optFlatMap", args.count == 2 {
            guard case .ident(let variable) = args[0] else { throw fail("the variable of \(name)() must be a simple name") }
            return .optionalMap(target, variable: variable, body: args[1], flatten: name == "optFlatMap")
        }
        let kinds: [String: Comprehension.Kind] = [
            "all": .all, "exists": .exists, "exists_one": .existsOne, "existsOne": .existsOne, "map": .map, "filter": .filter,
            "transformList": .transformList, "transformMap": .transformMap, "transformMapEntry": .transformMapEntry,
        ]
        guard let kind = kinds[name] else { return nil }
        let twoVariable = [.transformList, .transformMap, .transformMapEntry].contains(kind)
        let variables = twoVariable ? 2 : (args.count >= 3 && kind != .map) || args.count == 4 ? 2 : 1
        let rest = args.count - variables
        guard rest == 1 || (rest == 2 && [.map, .transformList, .transformMap, .transformMapEntry].contains(kind)) else { return nil }
        var names: [String] = []
        for arg in args.prefix(variables) {
            guard case .ident(let variable) = arg else { throw fail("the variables of \(name)() must be simple names") }
            names.append(variable)
        }
        if names.count == 2, names[0] == names[1] { throw fail("\(name)(): the two variables must have different names") }
        let filter = rest == 2 ? args[variables] : nil
        return .comprehension(Comprehension(kind: kind, range: target, variable: names[0], variable2: names.count == 2 ? names[1] : nil,
                                            filter: filter, body: args[args.count - 1]))
    }

    func celMacro(_ name: String, _ args: [Expr]) throws -> Expr? {
        switch (name, args.count) {
        case ("bind", 3):
            guard case .ident(let variable) = args[0] else { throw fail("cel.bind() needs a variable name first") }
            return .bind(variable, args[1], args[2])
        case ("block", 2):
            guard case .list(let slots) = args[0] else { throw fail("cel.block() needs a list of expressions first") }
            return .block(slots, args[1])
        case ("iterVar", 2), ("accuVar", 2):
            // The named iteration variables of optimised expressions: plain variables to the evaluator.
            guard case .literal(.int(let a)) = args[0], case .literal(.int(let b)) = args[1] else {
                throw fail("cel.\(name)() needs two int literals")
            }
            return .ident("@\(name):\(a):\(b)")
        case ("index", 1):
            guard case .literal(.int(let n)) = args[0], n >= 0 else { throw fail("cel.index() needs a non-negative int literal") }
            return .blockIndex(Int(n))
        default:
            return nil
        }
    }
}
