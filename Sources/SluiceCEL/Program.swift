/// The Common Expression Language: compile once, evaluate many times.
public enum CEL {
    /// Parses `source`; a syntax error carries its 1-based line and column. With a `container`
    /// such as `com.example`, a name `y` means the variable `com.example.y`, else `com.y`, else
    /// `y` (`.y` always means `y`).
    public static func compile(_ source: String, container: String = "") throws -> CELProgram {
        var parser = try Parser(source)
        return CELProgram(source: source, root: try parser.parse(), container: container)
    }
}

/// A compiled expression. Immutable, so one program can be evaluated from many tasks at once.
public struct CELProgram: Sendable {
    public let source: String
    let root: Expr
    /// `root` compiled into closures (see `StepCompiler`), which is what `evaluate` runs.
    let step: CompiledStep
    /// The prefixes a name is tried with before itself, most specific first: for the container
    /// `com.example`, `com.example.` and `com.`.
    let containerPrefixes: [String]

    init(source: String, root: Expr, container: String) {
        self.source = source
        self.root = root
        step = StepCompiler.compile(root)
        let parts = container.split(separator: ".")
        containerPrefixes = parts.indices.reversed().map { parts[...$0].joined(separator: ".") + "." }
    }

    /// Evaluates with `activation` as the variables in scope. `costLimit` bounds the work of one
    /// evaluation (every node visited and every comprehension step counts), so a runaway
    /// expression ends in an error instead of a hang.
    public func evaluate(_ activation: [String: CELValue], costLimit: Int = 1_000_000) throws -> CELValue {
        try evaluate(CELActivation(activation), costLimit: costLimit)
    }

    /// `evaluate(_:costLimit:)` with the variables as a `CELActivation`, which a caller that
    /// evaluates many programs on the same variables builds once.
    public func evaluate(_ activation: CELActivation, costLimit: Int = 1_000_000) throws -> CELValue {
        var evaluator = Evaluator(activation: activation, containerPrefixes: containerPrefixes, budget: costLimit)
        return try step(&evaluator)
    }
}

/// Walks the tree of one evaluation.
struct Evaluator {
    let activation: CELActivation
    let containerPrefixes: [String]
    var locals: [(String, CELValue)] = []
    /// The slots of the `cel.block`s being evaluated, innermost last, each computed once.
    var blocks: [(slots: [Expr], values: [Int: Result<CELValue, any Error>])] = []
    var budget: Int
    /// How many `eval` calls are on the stack. The parser bounds the tree's depth; this bounds
    /// what the tree does not show, such as `cel.block` slots that read other slots.
    var nesting = 0
    static let maxNesting = 1_000
    /// And in bytes of stack, however deep that is in calls (see `StackGuard`).
    let stack = StackGuard(budget: StackGuard.budget)

    init(activation: CELActivation, containerPrefixes: [String] = [], budget: Int) {
        self.activation = activation
        self.containerPrefixes = containerPrefixes
        self.budget = budget
    }

    mutating func spend(_ cost: Int = 1) throws {
        budget -= cost
        if budget < 0 { throw CELError("evaluation exceeded its cost limit") }
    }

    /// Entering a node: what `eval` does before it looks at the node, for compiled steps.
    @inline(__always)
    mutating func enter() throws {
        try spend()
        nesting += 1
        if nesting > 32, nesting > Self.maxNesting || stack.exhausted {
            let error = CELError("evaluation nested too deeply (more than \(nesting > Self.maxNesting ? Self.maxNesting : nesting - 1) levels)")
            nesting -= 1
            throw error
        }
    }

    @inline(__always)
    mutating func leave() { nesting -= 1 }

    mutating func eval(_ e: Expr) throws -> CELValue {
        try spend()
        nesting += 1
        defer { nesting -= 1 }
        // The stack is measured only past a depth no ordinary expression reaches.
        if nesting > 32, nesting > Self.maxNesting || stack.exhausted {
            throw CELError("evaluation nested too deeply (more than \(nesting > Self.maxNesting ? Self.maxNesting : nesting - 1) levels)")
        }
        switch e {
        case .literal(let v):
            return v
        case .ident(let name):
            if let v = variable(name) { return v }
            if Functions.typeNames.contains(name) || Libraries.typeNames.contains(name) { return .type(name) }
            throw CELError.undeclared(name)
        case .rootIdent(let name):
            guard let v = activation[name] else { throw CELError.undeclared(name) }
            return v
        case .select(.ident(let root), let field) where Libraries.typeNames.contains("\(root).\(field)") && !isBound(root):
            return .type("\(root).\(field)")
        case .select(let operand, let field):
            return try Evaluator.select(try eval(operand), field)
        case .presence(let operand, let field):
            return .bool(try Evaluator.isPresent(try eval(operand), field))
        case .index(let operand, let indexExpr):
            return try Functions.index(try eval(operand), try eval(indexExpr))
        case .list(let items):
            return .list(try items.map { try eval($0) })
        case .map(let entries):
            var pairs: [(CELValue, CELValue)] = []
            for (k, v) in entries { pairs.append((try eval(k), try eval(v))) }
            return .map(try CELMap(pairs))
        case .and(let a, let b):
            // Commutative: false wins over an error on either side.
            let left = Result { try eval(a) }
            if case .success(.bool(false)) = left { return .bool(false) }
            let right = Result { try eval(b) }
            if case .success(.bool(false)) = right { return .bool(false) }
            let l = try left.get(), r = try right.get()
            guard case .bool(let x) = l, case .bool(let y) = r else { throw CELError("no such overload: \(l.typeName) && \(r.typeName)") }
            return .bool(x && y)
        case .or(let a, let b):
            let left = Result { try eval(a) }
            if case .success(.bool(true)) = left { return .bool(true) }
            let right = Result { try eval(b) }
            if case .success(.bool(true)) = right { return .bool(true) }
            let l = try left.get(), r = try right.get()
            guard case .bool(let x) = l, case .bool(let y) = r else { throw CELError("no such overload: \(l.typeName) || \(r.typeName)") }
            return .bool(x || y)
        case .conditional(let c, let yes, let no):
            let condition = try eval(c)
            guard case .bool(let b) = condition else { throw CELError("no such overload: \(condition.typeName) ? _ : _") }
            return try eval(b ? yes : no)
        case .call(.ident(let namespace)?, let name, let args)
            where (Functions.namespaces.contains(namespace) || Libraries.namespaces.contains(namespace)) && !isBound(namespace):
            // A namespaced function such as math.greatest(...) or strings.quote(...).
            let values = try args.map { try eval($0) }
            try spend(Functions.cost(name, nil, values))
            return try Functions.call("\(namespace).\(name)", receiver: nil, values)
        case .call(let target, let name, let args):
            let receiver = try target.map { try eval($0) }
            let values = try args.map { try eval($0) }
            try spend(Functions.cost(name, receiver, values))
            return try Functions.call(name, receiver: receiver, values)
        case .comprehension(let c):
            return try comprehension(c)
        case .bind(let name, let value, let body):
            let bound = try eval(value)
            locals.append((name, bound))
            defer { locals.removeLast() }
            return try eval(body)
        case .block(let slots, let body):
            blocks.append((slots, [:]))
            defer { blocks.removeLast() }
            return try eval(body)
        case .blockIndex(let n):
            guard let block = blocks.indices.last, n < blocks[block].slots.count else { throw CELError("cel.index(\(n)) outside its block") }
            if let known = blocks[block].values[n] { return try known.get() }
            let slot = blocks[block].slots[n]
            // Marked before it is computed, so that a slot that reads itself fails instead of recursing.
            blocks[block].values[n] = .failure(CELError("cel.index(\(n)) reads itself"))
            let result = Result { try eval(slot) }
            blocks[block].values[n] = result
            return try result.get()
        case .optionalSelect(let operand, let field):
            return try Optionals.select(try eval(operand), field)
        case .optionalIndex(let operand, let indexExpr):
            return try Optionals.index(try eval(operand), try eval(indexExpr))
        case .optionalEntryList(let items, let optional):
            return try optionalEntryList(items, optional)
        case .optionalEntryMap(let entries):
            return try optionalEntryMap(entries)
        case .optionalMap(let operand, let variable, let body, let flatten):
            return try optionalMap(operand, variable, body, flatten: flatten)
        case .qualified(let names, let plain, let rooted):
            // The common case, a chain over a variable (object.spec.replicas), is walked here
            // directly, without a recursion per field.
            if !rooted, var value = variable(names[0]) {
                try spend(names.count - 1)
                for field in names.dropFirst() { value = try Evaluator.select(value, field) }
                return value
            }
            // Only when the root is undeclared is a dotted variable name tried.
            do {
                return try eval(plain)
            } catch let error as CELError where error.undeclaredReference == names[0] {
                for prefix in (rooted ? [] : containerPrefixes) + [""] {
                    if let value = try qualifiedVariable(names, prefix: prefix) { return value }
                }
                throw error
            }
        }
    }

    func isBound(_ name: String) -> Bool {
        locals.contains { $0.0 == name } || activation[name] != nil
    }

    mutating func comprehension(_ c: Comprehension) throws -> CELValue {
        try comprehension(c.kind, variable: c.variable, variable2: c.variable2, over: try eval(c.range),
                          body: { try $0.eval(c.body) }, filter: c.filter.map { filter in { try $0.eval(filter) } })
    }
}
