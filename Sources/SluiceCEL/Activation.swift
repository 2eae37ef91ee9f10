/// The variables an evaluation sees, by name: `object`, `params`, `request` and a few more.
///
/// So few names are searched in order, each with a cheap hash of its bytes that a compiled
/// program works out once per reference: a dictionary hashed the name (SipHash) on every
/// reference, about 320 instructions each. Names are told apart by their bytes (the hash first),
/// as CEL's identifiers (ASCII) are.
public struct CELActivation: Sendable {
    private struct Variable: Sendable {
        let name: String
        let hash: UInt64
        var value: CELValue
    }

    private var variables: [Variable] = []

    public init() {}

    public init(_ variables: [String: CELValue]) {
        self.variables.reserveCapacity(variables.count)
        for (name, value) in variables { self[name] = value }
    }

    /// The variable `name`; setting `nil` removes it.
    public subscript(name: String) -> CELValue? {
        get { self[name, Self.hash(name)] }
        set {
            let hash = Self.hash(name)
            if let i = index(of: name, hash) {
                if let newValue { variables[i].value = newValue } else { variables.remove(at: i) }
            } else if let newValue {
                variables.append(Variable(name: name, hash: hash, value: newValue))
            }
        }
    }

    /// The variable `name`, whose `hash(_:)` the caller has already.
    subscript(name: String, hash: UInt64) -> CELValue? {
        index(of: name, hash).map { variables[$0].value }
    }

    private func index(of name: String, _ hash: UInt64) -> Int? {
        variables.firstIndex { $0.hash == hash && $0.name == name }
    }

    /// FNV-1a of the name's UTF-8 bytes.
    static func hash(_ name: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }
}
