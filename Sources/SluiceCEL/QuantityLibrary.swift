import Foundation

/// The Kubernetes CEL quantity library: `quantity(string)`, `isQuantity(string)` and the methods
/// of `kubernetes.Quantity` (`isInteger asInteger asApproximateFloat sign add sub isGreaterThan
/// isLessThan compareTo`). Equality is by value (`quantity('1Gi') == quantity('1024Mi')`); as in
/// Kubernetes, quantities are not ordered by `<` (use `isLessThan` or `compareTo`).
enum QuantityLibrary {
    static let typeName = "kubernetes.Quantity"

    /// The global functions of the library, or `nil` for a name it does not define.
    static func call(_ name: String, _ args: [CELValue]) throws -> CELValue? {
        guard name == "quantity" || name == "isQuantity" else { return nil }
        guard args.count == 1, case .string(let text) = args[0] else { throw Functions.noOverload(name, nil, args) }
        if name == "isQuantity" { return .bool((try? KubernetesQuantity.parse(text)) != nil) }
        do {
            return .object(CELQuantity(try KubernetesQuantity.parse(text)))
        } catch {
            throw CELError(error.description)
        }
    }
}

/// A `kubernetes.Quantity` value.
struct CELQuantity: CELObject {
    let quantity: KubernetesQuantity

    init(_ quantity: KubernetesQuantity) { self.quantity = quantity }

    var typeName: String { QuantityLibrary.typeName }
    var description: String { quantity.description }

    func celEquals(_ other: any CELObject) -> Bool {
        (other as? CELQuantity)?.quantity == quantity
    }

    func call(_ name: String, _ args: [CELValue]) throws -> CELValue {
        switch (name, args.count) {
        case ("isInteger", 0): return .bool(quantity.integerValue != nil)
        case ("asInteger", 0):
            guard let value = quantity.integerValue else {
                let why = quantity.nanos % KubernetesQuantity.nanosPerUnit != 0 ? "it has a fraction" : "it is outside the range of int"
                throw CELError("cannot convert quantity \(quantity) to an integer: \(why); check isInteger() first")
            }
            return .int(value)
        case ("asApproximateFloat", 0): return .double(quantity.approximateDouble)
        case ("sign", 0): return .int(Int64(quantity.sign))
        case ("add", 1), ("sub", 1):
            let operand: KubernetesQuantity
            switch args[0] {
            case .int(let i): operand = KubernetesQuantity(i)
            case .object(let o as CELQuantity): operand = o.quantity
            default: throw Functions.noOverload(name, .object(self), args)
            }
            let result = name == "add" ? quantity.adding(operand) : quantity.subtracting(operand)
            guard let result else {
                throw CELError("quantity overflow: \(quantity).\(name)(\(operand)) is beyond ±1.7e29, the range of quantity arithmetic")
            }
            return .object(CELQuantity(result))
        case ("isGreaterThan", 1), ("isLessThan", 1), ("compareTo", 1):
            guard case .object(let o as CELQuantity) = args[0] else { throw Functions.noOverload(name, .object(self), args) }
            switch name {
            case "isGreaterThan": return .bool(quantity > o.quantity)
            case "isLessThan": return .bool(quantity < o.quantity)
            default: return .int(quantity < o.quantity ? -1 : quantity > o.quantity ? 1 : 0)
            }
        default:
            throw Functions.noOverload(name, .object(self), args)
        }
    }
}
