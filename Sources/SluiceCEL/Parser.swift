/// A recursive-descent parser for the CEL grammar.
struct Parser {
    static let maxDepth = 250

    let source: String
    var tokens: [Token]
    var position = 0
    var depth = 0

    init(_ source: String) throws {
        self.source = source
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
        return e
    }

    mutating func expression() throws -> Expr {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth { throw fail("expression nested too deeply") }
        let condition = try logicalOr()
        if accept("?") {
            let yes = try logicalOr()
            try expect(":")
            let no = try expression()
            return .conditional(condition, yes, no)
        }
        return condition
    }

    mutating func logicalOr() throws -> Expr {
        var e = try logicalAnd()
        while accept("||") { e = .or(e, try logicalAnd()) }
        return e
    }

    mutating func logicalAnd() throws -> Expr {
        var e = try relation()
        while accept("&&") { e = .and(e, try relation()) }
        return e
    }

    mutating func relation() throws -> Expr {
        var e = try addition()
        while true {
            if case .op(let op) = current.kind, ["<", "<=", ">", ">=", "==", "!="].contains(op) {
                position += 1
                e = .call(target: nil, name: "_\(op)_", args: [e, try addition()])
            } else if case .identifier("in") = current.kind {
                position += 1
                e = .call(target: nil, name: "@in", args: [e, try addition()])
            } else {
                return e
            }
        }
    }

    mutating func addition() throws -> Expr {
        var e = try multiplication()
        while true {
            if accept("+") { e = .call(target: nil, name: "_+_", args: [e, try multiplication()]) }
            else if accept("-") { e = .call(target: nil, name: "_-_", args: [e, try multiplication()]) }
            else { return e }
        }
    }

    mutating func multiplication() throws -> Expr {
        var e = try unary()
        while true {
            if accept("*") { e = .call(target: nil, name: "_*_", args: [e, try unary()]) }
            else if accept("/") { e = .call(target: nil, name: "_/_", args: [e, try unary()]) }
            else if accept("%") { e = .call(target: nil, name: "_%_", args: [e, try unary()]) }
            else { return e }
        }
    }

    mutating func unary() throws -> Expr {
        if accept("!") {
            var count = 1
            while accept("!") { count += 1 }
            let operand = try member()
            return count % 2 == 0 ? .call(target: nil, name: "!_", args: [.call(target: nil, name: "!_", args: [operand])])
                                  : .call(target: nil, name: "!_", args: [operand])
        }
        if case .op("-") = current.kind {
            var count = 0
            while accept("-") { count += 1 }
            // A negated literal is a literal, so that -9223372036854775808 is representable.
            if count % 2 == 1 {
                switch current.kind {
                case .int(let v): position += 1; return try member(continuing: .literal(.int(-v)))
                case .uint(9_223_372_036_854_775_808): position += 1; return try member(continuing: .literal(.int(Int64.min)))
                case .double(let d): position += 1; return try member(continuing: .literal(.double(-d)))
                default: break
                }
            }
            var operand = try member()
            for _ in 0..<count { operand = .call(target: nil, name: "-_", args: [operand]) }
            return operand
        }
        return try member()
    }

    mutating func member(continuing start: Expr? = nil) throws -> Expr {
        var e = try start ?? primary()
        while true {
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
                    e = .optionalSelect(Parser.qualify(e), field)
                } else if !quoted, accept("(") {
                    let args = try arguments(closing: ")")
                    let target = Parser.qualify(e)
                    e = try macro(target: target, name: name, args: args) ?? .call(target: target, name: name, args: args)
                } else {
                    e = .select(e, field)
                }
            } else if accept("[") {
                let optional = accept("?")
                let index = try expression()
                try expect("]")
                e = optional ? .optionalIndex(Parser.qualify(e), index) : .index(Parser.qualify(e), index)
            } else {
                return Parser.qualify(e)
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

    mutating func arguments(closing: String) throws -> [Expr] {
        var args: [Expr] = []
        if accept(closing) { return args }
        repeat {
            if case .op(closing) = current.kind { break }  // trailing comma
            args.append(try expression())
        } while accept(",")
        try expect(closing)
        return args
    }

    mutating func primary() throws -> Expr {
        let token = current
        switch token.kind {
        case .int(let v): position += 1; return .literal(.int(v))
        case .uint(let v): position += 1; return .literal(.uint(v))
        case .double(let v): position += 1; return .literal(.double(v))
        case .string(let s): position += 1; return .literal(.string(s))
        case .bytes(let b): position += 1; return .literal(.bytes(b))
        case .true: position += 1; return .literal(.bool(true))
        case .false: position += 1; return .literal(.bool(false))
        case .null: position += 1; return .literal(.null)
        case .identifier(let name):
            position += 1
            if accept("(") {
                let args = try arguments(closing: ")")
                if name == "has" {
                    var argument = args.first
                    if case .qualified(_, let plain, _)? = argument { argument = plain }
                    guard args.count == 1, case .select(let operand, let field)? = argument else {
                        throw fail("has() takes a single field selection, e.g. has(object.spec.job)", token)
                    }
                    return .presence(Parser.qualify(operand), field)
                }
                return .call(target: nil, name: name, args: args)
            }
            if case .op("{") = current.kind { throw fail("message construction is not supported (no protobuf types)", token) }
            return .ident(name)
        case .op("."):
            position += 1
            guard case .identifier(let name) = current.kind else { throw fail("expected an identifier after a leading '.'") }
            position += 1
            if accept("(") { return .call(target: nil, name: name, args: try arguments(closing: ")")) }
            return .rootIdent(name)
        case .op("("):
            position += 1
            let e = try expression()
            try expect(")")
            return e
        case .op("["):
            position += 1
            var items: [Expr] = [], optional: [Bool] = []
            if !accept("]") {
                repeat {
                    if case .op("]") = current.kind { break }  // trailing comma
                    optional.append(accept("?"))
                    items.append(try expression())
                } while accept(",")
                try expect("]")
            }
            return optional.contains(true) ? .optionalEntryList(items, optional: optional) : .list(items)
        case .op("{"):
            position += 1
            var entries: [(key: Expr, value: Expr, optional: Bool)] = []
            if !accept("}") {
                repeat {
                    if case .op("}") = current.kind { break }
                    let optional = accept("?")
                    let key = try expression()
                    try expect(":")
                    entries.append((key, try expression(), optional))
                } while accept(",")
                try expect("}")
            }
            if entries.contains(where: \.optional) { return .optionalEntryMap(entries) }
            return .map(entries.map { ($0.key, $0.value) })
        case .reservedWord(let word):
            throw fail("reserved identifier: \(word)")
        case .end:
            throw fail("unexpected end of expression")
        default:
            throw fail("unexpected token")
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
