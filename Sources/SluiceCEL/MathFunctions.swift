import Foundation

/// The `math.*` extension: greatest/least, rounding, sign and classification of numbers, bit operations.
enum MathFunctions {
    static func call(_ name: String, _ args: [CELValue]) throws -> CELValue {
        switch (name, args.count) {
        case ("greatest", 1...), ("least", 1...):
            var values = args
            if args.count == 1 {
                switch args[0] {
                case .list(let l):
                    guard !l.isEmpty else { throw CELError("math.\(name)() requires at least one argument") }
                    values = l
                case .int, .uint, .double: break
                default: throw Functions.noOverload("math.\(name)", nil, args)
                }
            }
            guard values.allSatisfy(\.isNumber) else { throw CELError("math.\(name)() invalid argument: only numbers are allowed") }
            var best = values[0]
            for v in values.dropFirst() {
                guard let order = v.numericOrder(best) else { if case .double(let d) = v, d.isNaN { best = v }; continue }
                if (name == "greatest" && order == .orderedDescending) || (name == "least" && order == .orderedAscending) { best = v }
            }
            return best
        case ("ceil", 1): return .double(try double(args[0], name).rounded(.up))
        case ("floor", 1): return .double(try double(args[0], name).rounded(.down))
        case ("round", 1): return .double(try double(args[0], name).rounded(.toNearestOrAwayFromZero))
        case ("trunc", 1): return .double(try double(args[0], name).rounded(.towardZero))
        case ("isInf", 1): return .bool(try double(args[0], name).isInfinite)
        case ("isNaN", 1): return .bool(try double(args[0], name).isNaN)
        case ("isFinite", 1): return .bool(try double(args[0], name).isFinite)
        case ("abs", 1):
            switch args[0] {
            case .int(let i):
                if i == .min { throw Arithmetic.overflow() }
                return .int(abs(i))
            case .uint: return args[0]
            case .double(let d): return .double(abs(d))
            default: throw Functions.noOverload("math.abs", nil, args)
            }
        case ("sign", 1):
            switch args[0] {
            case .int(let i): return .int(i.signum())
            case .uint(let u): return .uint(u == 0 ? 0 : 1)
            case .double(let d): return .double(d.isNaN ? d : d > 0 ? 1 : d < 0 ? -1 : 0)
            default: throw Functions.noOverload("math.sign", nil, args)
            }
        case ("bitAnd", 2), ("bitOr", 2), ("bitXor", 2):
            switch (args[0], args[1]) {
            case let (.int(a), .int(b)): return .int(name == "bitAnd" ? a & b : name == "bitOr" ? a | b : a ^ b)
            case let (.uint(a), .uint(b)): return .uint(name == "bitAnd" ? a & b : name == "bitOr" ? a | b : a ^ b)
            default: throw Functions.noOverload("math.\(name)", nil, args)
            }
        case ("bitNot", 1):
            switch args[0] {
            case .int(let a): return .int(~a)
            case .uint(let a): return .uint(~a)
            default: throw Functions.noOverload("math.bitNot", nil, args)
            }
        case ("bitShiftLeft", 2), ("bitShiftRight", 2):
            guard case .int(let n) = args[1] else { throw Functions.noOverload("math.\(name)", nil, args) }
            guard n >= 0 else { throw CELError("math.\(name)() negative offset: \(n)") }
            let left = name == "bitShiftLeft"
            switch args[0] {
            case .int(let a):
                if n >= 64 { return .int(0) }
                // A right shift of an int is logical, as in the CEL extension.
                return .int(left ? a << n : Int64(bitPattern: UInt64(bitPattern: a) >> UInt64(n)))
            case .uint(let a):
                if n >= 64 { return .uint(0) }
                return .uint(left ? a << UInt64(n) : a >> UInt64(n))
            default: throw Functions.noOverload("math.\(name)", nil, args)
            }
        case ("sqrt", 1):
            switch args[0] {
            case .int(let i): return .double(Double(i).squareRoot())
            case .uint(let u): return .double(Double(u).squareRoot())
            case .double(let d): return .double(d.squareRoot())
            default: throw Functions.noOverload("math.sqrt", nil, args)
            }
        default:
            throw Functions.noOverload("math.\(name)", nil, args)
        }
    }

    static func double(_ v: CELValue, _ name: String) throws -> Double {
        guard case .double(let d) = v else { throw Functions.noOverload("math.\(name)", nil, [v]) }
        return d
    }
}
