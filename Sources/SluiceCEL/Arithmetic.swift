/// `+ - * / %` and unary minus, with CEL's overflow and division-by-zero errors.
enum Arithmetic {
    static func overflow() -> CELError { CELError("return error for overflow") }

    static func add(_ a: CELValue, _ b: CELValue) throws -> CELValue {
        if let time = try TimeFunctions.add(a, b) { return time }
        switch (a, b) {
        case let (.int(x), .int(y)):
            let (r, o) = x.addingReportingOverflow(y); if o { throw overflow() }; return .int(r)
        case let (.uint(x), .uint(y)):
            let (r, o) = x.addingReportingOverflow(y); if o { throw overflow() }; return .uint(r)
        case let (.double(x), .double(y)): return .double(x + y)
        case let (.string(x), .string(y)): return .string(x + y)
        case let (.bytes(x), .bytes(y)): return .bytes(x + y)
        case let (.list(x), .list(y)): return .list(x + y)
        default: throw Functions.noOverload("_+_", nil, [a, b])
        }
    }

    static func subtract(_ a: CELValue, _ b: CELValue) throws -> CELValue {
        if let time = try TimeFunctions.subtract(a, b) { return time }
        switch (a, b) {
        case let (.int(x), .int(y)):
            let (r, o) = x.subtractingReportingOverflow(y); if o { throw overflow() }; return .int(r)
        case let (.uint(x), .uint(y)):
            let (r, o) = x.subtractingReportingOverflow(y); if o { throw overflow() }; return .uint(r)
        case let (.double(x), .double(y)): return .double(x - y)
        default: throw Functions.noOverload("_-_", nil, [a, b])
        }
    }

    static func multiply(_ a: CELValue, _ b: CELValue) throws -> CELValue {
        switch (a, b) {
        case let (.int(x), .int(y)):
            let (r, o) = x.multipliedReportingOverflow(by: y); if o { throw overflow() }; return .int(r)
        case let (.uint(x), .uint(y)):
            let (r, o) = x.multipliedReportingOverflow(by: y); if o { throw overflow() }; return .uint(r)
        case let (.double(x), .double(y)): return .double(x * y)
        default: throw Functions.noOverload("_*_", nil, [a, b])
        }
    }

    static func divide(_ a: CELValue, _ b: CELValue) throws -> CELValue {
        switch (a, b) {
        case let (.int(x), .int(y)):
            if y == 0 { throw CELError("division by zero") }
            let (r, o) = x.dividedReportingOverflow(by: y); if o { throw overflow() }; return .int(r)
        case let (.uint(x), .uint(y)):
            if y == 0 { throw CELError("division by zero") }
            return .uint(x / y)
        case let (.double(x), .double(y)): return .double(x / y)
        default: throw Functions.noOverload("_/_", nil, [a, b])
        }
    }

    static func modulo(_ a: CELValue, _ b: CELValue) throws -> CELValue {
        switch (a, b) {
        case let (.int(x), .int(y)):
            if y == 0 { throw CELError("modulus by zero") }
            let (r, o) = x.remainderReportingOverflow(dividingBy: y); if o { throw overflow() }; return .int(r)
        case let (.uint(x), .uint(y)):
            if y == 0 { throw CELError("modulus by zero") }
            return .uint(x % y)
        default: throw Functions.noOverload("_%_", nil, [a, b])
        }
    }

    static func negate(_ a: CELValue) throws -> CELValue {
        switch a {
        case .int(let x):
            if x == Int64.min { throw overflow() }
            return .int(-x)
        case .double(let x): return .double(-x)
        case .duration(let d): return .duration(try CELDuration(seconds: -d.seconds, nanos: -Int64(d.nanos)))
        default: throw Functions.noOverload("-_", nil, [a])
        }
    }
}
