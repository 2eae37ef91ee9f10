/// Where a map's entries or a list's items are stored. Two values with one storage are one value,
/// so what was found for one holds for the other without looking inside: the renderer gives the
/// clusters that place a job alike one object, and every subject on them the same `object.spec`;
/// a file unchanged between two revisions is one parse.
/// An address means something only while a value with that storage is held (a freed storage's
/// address is reused), so whoever keys by it holds the value too.
public struct StorageIdentity: Hashable, Sendable {
    let address: UInt
    let count: Int
    let isMap: Bool

    /// `nil` for scalars and empty collections, which are cheap to look at anyway.
    public init?(_ value: Value) {
        switch value.kind {
        case .map(let map) where !map.isEmpty:
            address = map.entries.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
            count = map.count
            isMap = true
        case .list(let items) where !items.isEmpty:
            address = items.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
            count = items.count
            isMap = false
        default:
            return nil
        }
    }
}
