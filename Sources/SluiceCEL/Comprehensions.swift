/// The list and map macros (`all`, `exists`, `exists_one`, `map`, `filter` and the two-variable
/// `transformList`, `transformMap`, `transformMapEntry`), written once for both forms of
/// evaluation: the tree walker passes closures that walk the body and filter, the compiled steps
/// pass their compiled closures. Inlined into each caller so the compiled form calls its steps
/// directly, as if the loop were written out there.
extension Evaluator {
    @inline(__always)
    mutating func comprehension(_ kind: Comprehension.Kind, variable: String, variable2: String?, over range: CELValue,
                                body: (inout Evaluator) throws -> CELValue,
                                filter: ((inout Evaluator) throws -> CELValue)?) throws -> CELValue {
        // Pairs of (first variable, second variable): (element, -) or (key, -) with one variable,
        // (index, element) or (key, value) with two.
        let items: [(CELValue, CELValue)]
        switch range {
        case .list(let l): items = variable2 == nil ? l.map { ($0, .null) } : l.enumerated().map { (.int(Int64($0.offset)), $0.element) }
        case .map(let m): items = variable2 == nil ? m.keys.map { ($0, .null) } : m.entries
        default: throw CELError("expression of type '\(range.typeName)' cannot be the range of a comprehension")
        }
        if kind == .transformMap || kind == .transformMapEntry {
            var out = CELMap()
            for (first, second) in items {
                try spend()
                locals.append((variable, first))
                locals.append((variable2!, second))
                defer { locals.removeLast(2) }
                if let filter {
                    let keep = try filter(&self)
                    guard case .bool(let b) = keep else { throw CELError("no such overload: filter returned \(keep.typeName)") }
                    if !b { continue }
                }
                let value = try body(&self)
                if kind == .transformMap {
                    out.set(first, value)
                } else {
                    guard case .map(let entry) = value else { throw CELError("transformMapEntry needs a map result, got \(value.typeName)") }
                    for (k, v) in entry.entries {
                        if out[k] != nil { throw CELError("insert failed: key \(Conversions.text(k)) already exists") }
                        out.set(k, v)
                    }
                }
            }
            return .map(out)
        }
        var sawError: (any Error)?
        var count = 0
        var out: [CELValue] = []
        for (item, second) in items {
            try spend()
            locals.append((variable, item))
            if let variable2 { locals.append((variable2, second)) }
            defer { locals.removeLast(variable2 == nil ? 1 : 2) }
            switch kind {
            case .all, .exists:
                let wanted = kind == .exists
                do {
                    let v = try body(&self)
                    guard case .bool(let b) = v else { throw CELError("no such overload: \(kind) predicate returned \(v.typeName)") }
                    if b == wanted { return .bool(wanted) }
                } catch let error as CELError where error.message != "evaluation exceeded its cost limit" {
                    sawError = sawError ?? error
                }
            case .existsOne:
                let v = try body(&self)
                guard case .bool(let b) = v else { throw CELError("no such overload: exists_one predicate returned \(v.typeName)") }
                if b { count += 1 }
            case .filter:
                let v = try body(&self)
                guard case .bool(let b) = v else { throw CELError("no such overload: filter predicate returned \(v.typeName)") }
                if b { out.append(variable2 == nil ? item : second) }
            case .map, .transformList, .transformMap, .transformMapEntry:
                if let filter {
                    let keep = try filter(&self)
                    guard case .bool(let b) = keep else { throw CELError("no such overload: map filter returned \(keep.typeName)") }
                    if !b { continue }
                }
                out.append(try body(&self))
            }
        }
        switch kind {
        case .all, .exists:
            if let sawError { throw sawError }
            return .bool(kind == .all)
        case .existsOne: return .bool(count == 1)
        case .filter, .map, .transformList, .transformMap, .transformMapEntry: return .list(out)
        }
    }
}
