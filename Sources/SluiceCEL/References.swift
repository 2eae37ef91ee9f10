/// What a program can read of its activation, found from its tree once: for each top-level name,
/// the fields selected from it (`cluster.tier` reads field `tier` of `cluster`), or `nil` when the
/// value may be used whole. A caller that evaluates one program on many activations may treat two
/// activations that agree on these as the same and reuse the result (CEL has no side effects and
/// nothing in Sluice's CEL depends on the clock or on chance).
///
/// The answer errs on the side of more: any identifier with a variable's name counts, even one a
/// comprehension binds locally, and a name used any other way than `name.field` is read whole.
extension CELProgram {
    public var referencedVariables: [String: Set<String>?] {
        var found: [String: Set<String>?] = [:]
        References.collect(root, into: &found)
        return found
    }
}

enum References {
    static func whole(_ name: String, _ found: inout [String: Set<String>?]) {
        found[name] = .some(nil)
    }

    static func field(_ name: String, _ field: String, _ found: inout [String: Set<String>?]) {
        switch found[name] {
        case .none: found[name] = .some([field])
        case .some(.none): break  // already read whole
        case .some(.some(var fields)):
            fields.insert(field)
            found[name] = .some(fields)
        }
    }

    static func collect(_ e: Expr, into found: inout [String: Set<String>?]) {
        switch e {
        case .literal, .blockIndex:
            break
        case .ident(let name), .rootIdent(let name):
            whole(name, &found)
        case .select(.ident(let name), let f), .presence(.ident(let name), let f):
            field(name, f, &found)
        case .select(let operand, _), .presence(let operand, _), .optionalSelect(let operand, _):
            collect(operand, into: &found)
        case .qualified(let names, let plain, _):
            // A dotted variable name (`a.b`) may be bound instead of `a`: count every prefix whole.
            for length in stride(from: names.count, through: 2, by: -1) { whole(names[..<length].joined(separator: "."), &found) }
            collect(plain, into: &found)
        case .index(let a, let b), .optionalIndex(let a, let b), .and(let a, let b), .or(let a, let b):
            collect(a, into: &found)
            collect(b, into: &found)
        case .call(let target, let name, let args):
            if let target { collect(target, into: &found) }
            // A function called by a dotted name may be a variable's field in the walker's eyes.
            if name.contains(".") { whole(String(name.prefix { $0 != "." }), &found) }
            for arg in args { collect(arg, into: &found) }
        case .list(let items), .optionalEntryList(let items, _):
            for item in items { collect(item, into: &found) }
        case .map(let entries):
            for (k, v) in entries {
                collect(k, into: &found)
                collect(v, into: &found)
            }
        case .optionalEntryMap(let entries):
            for entry in entries {
                collect(entry.key, into: &found)
                collect(entry.value, into: &found)
            }
        case .conditional(let a, let b, let c):
            collect(a, into: &found)
            collect(b, into: &found)
            collect(c, into: &found)
        case .comprehension(let c):
            collect(c.range, into: &found)
            if let filter = c.filter { collect(filter, into: &found) }
            collect(c.body, into: &found)
            whole(c.variable, &found)
            if let v2 = c.variable2 { whole(v2, &found) }
        case .bind(let name, let value, let body):
            whole(name, &found)
            collect(value, into: &found)
            collect(body, into: &found)
        case .block(let slots, let body):
            for slot in slots { collect(slot, into: &found) }
            collect(body, into: &found)
        case .optionalMap(let operand, let variable, let body, _):
            whole(variable, &found)
            collect(operand, into: &found)
            collect(body, into: &found)
        }
    }
}
