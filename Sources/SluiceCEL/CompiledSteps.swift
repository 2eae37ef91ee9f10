/// The form a program is evaluated in: each node of the tree compiled once into a closure that
/// holds its children's closures, its operator resolved and its constants prepared. Walking the
/// `Expr` enum instead re-decides on every evaluation what each node is, looks operators up by
/// name and boxes their operands in arrays; policies evaluate the same few expressions on
/// thousands of objects, so that work is done once here.
///
/// Every step keeps the tree walker's accounting exactly (one unit of cost per node plus each
/// call's own cost, the nesting count and the stack bound), so limits and errors are the same
/// in both forms. Nodes that are rare in policies (macros over optionals, `cel.block`,
/// namespaced functions, names that may be qualified type names) are handed to the tree walker
/// (`Evaluator.eval`) as a whole, on the same evaluator.
typealias CompiledStep = @Sendable (inout Evaluator) throws -> CELValue

enum StepCompiler {
    static func compile(_ e: Expr) -> CompiledStep {
        switch e {
        case .literal(let v):
            return { ev in
                try ev.enter(); defer { ev.leave() }
                return v
            }
        case .ident(let name):
            let hash = CELActivation.hash(name)
            return { ev in
                try ev.enter(); defer { ev.leave() }
                if let v = ev.variable(name, hash: hash) { return v }
                if Functions.typeNames.contains(name) || Libraries.typeNames.contains(name) { return .type(name) }
                throw CELError.undeclared(name)
            }
        case .rootIdent(let name):
            let hash = CELActivation.hash(name)
            return { ev in
                try ev.enter(); defer { ev.leave() }
                guard let v = ev.activation[name, hash] else { throw CELError.undeclared(name) }
                return v
            }
        case .select(.ident(let root), let field) where Libraries.typeNames.contains("\(root).\(field)"):
            return walked(e)  // a qualified type name unless `root` is bound: decided per evaluation
        case .select(let operand, let field):
            let target = compile(operand)
            return { ev in
                try ev.enter(); defer { ev.leave() }
                return try Evaluator.select(try target(&ev), field)
            }
        case .presence(let operand, let field):
            let target = compile(operand)
            return { ev in
                try ev.enter(); defer { ev.leave() }
                return .bool(try Evaluator.isPresent(try target(&ev), field))
            }
        case .index(let operand, let indexExpr):
            let target = compile(operand), index = compile(indexExpr)
            return { ev in
                try ev.enter(); defer { ev.leave() }
                let container = try target(&ev)
                return try Functions.index(container, try index(&ev))
            }
        case .list(let items):
            let steps = items.map(compile)
            return { ev in
                try ev.enter(); defer { ev.leave() }
                var out: [CELValue] = []
                out.reserveCapacity(steps.count)
                for step in steps { out.append(try step(&ev)) }
                return .list(out)
            }
        case .map(let entries):
            let steps = entries.map { (compile($0.0), compile($0.1)) }
            return { ev in
                try ev.enter(); defer { ev.leave() }
                var pairs: [(CELValue, CELValue)] = []
                pairs.reserveCapacity(steps.count)
                for (k, v) in steps { pairs.append((try k(&ev), try v(&ev))) }
                return .map(try CELMap(pairs))
            }
        case .and(let a, let b):
            let first = compile(a), second = compile(b)
            return { ev in
                try ev.enter(); defer { ev.leave() }
                // Commutative: false wins over an error on either side.
                let left = Result { try first(&ev) }
                if case .success(.bool(false)) = left { return .bool(false) }
                let right = Result { try second(&ev) }
                if case .success(.bool(false)) = right { return .bool(false) }
                let l = try left.get(), r = try right.get()
                guard case .bool(let x) = l, case .bool(let y) = r else { throw CELError("no such overload: \(l.typeName) && \(r.typeName)") }
                return .bool(x && y)
            }
        case .or(let a, let b):
            let first = compile(a), second = compile(b)
            return { ev in
                try ev.enter(); defer { ev.leave() }
                let left = Result { try first(&ev) }
                if case .success(.bool(true)) = left { return .bool(true) }
                let right = Result { try second(&ev) }
                if case .success(.bool(true)) = right { return .bool(true) }
                let l = try left.get(), r = try right.get()
                guard case .bool(let x) = l, case .bool(let y) = r else { throw CELError("no such overload: \(l.typeName) || \(r.typeName)") }
                return .bool(x || y)
            }
        case .conditional(let c, let yes, let no):
            let condition = compile(c), whenTrue = compile(yes), whenFalse = compile(no)
            return { ev in
                try ev.enter(); defer { ev.leave() }
                let value = try condition(&ev)
                guard case .bool(let b) = value else { throw CELError("no such overload: \(value.typeName) ? _ : _") }
                return try b ? whenTrue(&ev) : whenFalse(&ev)
            }
        case .call(.ident(let namespace)?, _, _) where Functions.namespaces.contains(namespace) || Libraries.namespaces.contains(namespace):
            return walked(e)  // a namespaced function unless `namespace` is bound: decided per evaluation
        case .call(let target, let name, let args):
            return call(target.map(compile), name, args.map(compile))
        case .comprehension(let c):
            return comprehension(c)
        case .qualified(let names, _, let rooted) where !rooted:
            let fields = Array(names.dropFirst())
            let rootHash = CELActivation.hash(names[0])
            return { ev in
                // The common case, a chain over a variable (object.spec.replicas); anything else
                // (a dotted variable name, a container) is the tree walker's.
                guard let root = ev.variable(names[0], hash: rootHash) else { return try ev.eval(e) }
                try ev.enter(); defer { ev.leave() }
                try ev.spend(fields.count)
                var value = root
                for field in fields { value = try Evaluator.select(value, field) }
                return value
            }
        case .qualified, .bind, .block, .blockIndex, .optionalSelect, .optionalIndex, .optionalEntryList,
             .optionalEntryMap, .optionalMap:
            return walked(e)
        }
    }

    /// A node evaluated by the tree walker, children included.
    static func walked(_ e: Expr) -> CompiledStep {
        { ev in try ev.eval(e) }
    }

    /// A call: operators with their implementation chosen now, everything else through
    /// `Functions.call` by name. The cost is charged after the operands are evaluated and before
    /// the call, as the tree walker does.
    static func call(_ target: CompiledStep?, _ name: String, _ args: [CompiledStep]) -> CompiledStep {
        if target == nil, args.count == 2, let op = binaryOperator(name) {
            let left = args[0], right = args[1]
            return { ev in
                try ev.enter(); defer { ev.leave() }
                let x = try left(&ev), y = try right(&ev)
                try ev.spend(Functions.operandCost(x) + Functions.operandCost(y))
                return try op(x, y)
            }
        }
        if let target, args.count == 1, name == "startsWith" || name == "endsWith" {
            let argument = args[0], prefix = name == "startsWith"
            return { ev in
                try ev.enter(); defer { ev.leave() }
                let receiver = try target(&ev), value = try argument(&ev)
                try ev.spend(Functions.operandCost(receiver) + Functions.operandCost(value))
                if case .string(let s) = receiver, case .string(let affix) = value {
                    return .bool(prefix ? StringFunctions.hasPrefix(s, affix) : StringFunctions.hasSuffix(s, affix))
                }
                return try Functions.call(name, receiver: receiver, [value])
            }
        }
        let regex = Regex.functions.contains(name)
        return { ev in
            try ev.enter(); defer { ev.leave() }
            let receiver = try target.map { try $0(&ev) }
            var values: [CELValue] = []
            values.reserveCapacity(args.count)
            for arg in args { values.append(try arg(&ev)) }
            if regex {
                try ev.spend(Functions.cost(name, receiver, values))
            } else {
                var cost = receiver.map(Functions.operandCost) ?? 0
                for value in values { cost += Functions.operandCost(value) }
                try ev.spend(cost)
            }
            return try Functions.call(name, receiver: receiver, values)
        }
    }

    /// The implementation `Functions.call` would choose for a two-operand operator.
    static func binaryOperator(_ name: String) -> (@Sendable (CELValue, CELValue) throws -> CELValue)? {
        switch name {
        case "_==_": return { .bool($0.celEquals($1)) }
        case "_!=_": return { .bool(!$0.celEquals($1)) }
        case "_<_": return { try Functions.order($0, $1, { $0 == .orderedAscending }) }
        case "_<=_": return { try Functions.order($0, $1, { $0 != .orderedDescending }) }
        case "_>_": return { try Functions.order($0, $1, { $0 == .orderedDescending }) }
        case "_>=_": return { try Functions.order($0, $1, { $0 != .orderedAscending }) }
        case "@in": return { try Functions.contains($1, $0) }
        case "_+_": return { try Arithmetic.add($0, $1) }
        case "_-_": return { try Arithmetic.subtract($0, $1) }
        case "_*_": return { try Arithmetic.multiply($0, $1) }
        case "_/_": return { try Arithmetic.divide($0, $1) }
        case "_%_": return { try Arithmetic.modulo($0, $1) }
        default: return nil
        }
    }

    /// The list and map macros over compiled steps (see `Evaluator.comprehension`).
    static func comprehension(_ c: Comprehension) -> CompiledStep {
        let range = compile(c.range), body = compile(c.body), filter = c.filter.map(compile)
        let kind = c.kind, variable = c.variable, variable2 = c.variable2
        return { ev in
            try ev.enter(); defer { ev.leave() }
            return try ev.comprehension(kind, variable: variable, variable2: variable2, over: try range(&ev), body: body, filter: filter)
        }
    }
}
