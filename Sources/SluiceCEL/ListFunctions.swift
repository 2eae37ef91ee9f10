/// List methods: `join` (strings extension) and the Kubernetes lists library.
enum ListFunctions {
    static func call(_ name: String, _ l: [CELValue], _ args: [CELValue]) throws -> CELValue {
        switch (name, args.count) {
        case ("join", 0), ("join", 1):
            var separator = ""
            if args.count == 1 { separator = try StringFunctions.string(args[0], name) }
            let parts = try l.map { v -> String in
                guard case .string(let s) = v else { throw CELError("join: list contains \(v.typeName), not string") }
                return s
            }
            return .string(parts.joined(separator: separator))
        case ("isSorted", 0):
            for i in l.indices.dropFirst() where try l[i - 1].celCompare(l[i]) == .orderedDescending { return .bool(false) }
            return .bool(true)
        case ("sum", 0):
            guard var total = l.first else { return .int(0) }
            for v in l.dropFirst() { total = try Arithmetic.add(total, v) }
            return total
        case ("min", 0), ("max", 0):
            guard var best = l.first else { throw CELError("\(name) called on an empty list") }
            for v in l.dropFirst() {
                let order = try v.celCompare(best)
                if (name == "min" && order == .orderedAscending) || (name == "max" && order == .orderedDescending) { best = v }
            }
            return best
        case ("indexOf", 1): return .int(Int64(l.firstIndex { $0.celEquals(args[0]) } ?? -1))
        case ("lastIndexOf", 1): return .int(Int64(l.lastIndex { $0.celEquals(args[0]) } ?? -1))
        default:
            throw Functions.noOverload(name, .list(l), args)
        }
    }
}
