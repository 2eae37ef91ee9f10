import Foundation

/// A value of a type that a CEL library adds (the Kubernetes `ip`, `cidr`, `quantity` and `url`
/// types, for example). The library owns its behaviour; the interpreter only carries the value,
/// compares it and dispatches method calls on it.
public protocol CELObject: Sendable, CustomStringConvertible {
    /// The CEL type name, as `type(x)` reports it (`net.IP`, `kubernetes.Quantity`).
    var typeName: String { get }
    /// CEL `==` against another value of the same type name.
    func celEquals(_ other: any CELObject) -> Bool
    /// The order for `<` and friends, or `nil` when the type is not ordered.
    func celCompare(_ other: any CELObject) -> ComparisonResult?
    /// A method call `value.name(args)`; throw `Functions.noOverload`-style errors for unknown names.
    func call(_ name: String, _ args: [CELValue]) throws -> CELValue
}

extension CELObject {
    public func celCompare(_ other: any CELObject) -> ComparisonResult? { nil }
}
