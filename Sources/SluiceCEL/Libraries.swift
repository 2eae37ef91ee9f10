/// The global functions, namespaces and type names of the Kubernetes CEL libraries
/// (`ip`, `cidr`, `quantity`, `url`). Their values are `CELValue.object`s; methods on them
/// dispatch through `CELObject.call`.
enum Libraries {
    /// Namespaces of qualified functions (`ip.isCanonical(...)`).
    static let namespaces: Set<String> = ["ip"]
    /// Type names an expression may name (`net.IP`).
    static let typeNames: Set<String> = [
        NetworkLibrary.ipType, NetworkLibrary.cidrType, QuantityLibrary.typeName, URLLibrary.typeName,
    ]

    /// `name(args)` when a library defines it, else `nil`.
    static func call(_ name: String, _ args: [CELValue]) throws -> CELValue? {
        if let value = try NetworkLibrary.call(name, args) { return value }
        if let value = try QuantityLibrary.call(name, args) { return value }
        return try URLLibrary.call(name, args)
    }
}
