/// A value kept in one class instance: copying its holder is one reference count, and a change
/// copies the value first only when another holder shares it. For structs that are copied far
/// more often than changed and hold many strings, each of which is a reference count of its own
/// on every copy (on several cores, atomic counts on shared cache lines).
public struct CopyOnWrite<Wrapped> {
    private final class Box {
        /// Written only while uniquely referenced (`value`'s `_modify`), so no other access can
        /// overlap a write: the runtime's exclusivity check on every read is left out.
        @exclusivity(unchecked) var wrapped: Wrapped
        init(_ wrapped: Wrapped) { self.wrapped = wrapped }
    }

    private var box: Box

    public init(_ wrapped: Wrapped) { box = Box(wrapped) }

    public var value: Wrapped {
        // Borrowed, so that reading one field copies that field, not the whole value.
        _read { yield box.wrapped }
        _modify {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.wrapped) }
            yield &box.wrapped
        }
    }
}

// The box is changed only while uniquely held (above), so sharing it across threads is safe
// whenever the value itself is.
extension CopyOnWrite: @unchecked Sendable where Wrapped: Sendable {}
