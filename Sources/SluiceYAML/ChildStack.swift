/// The children of the maps and lists being read, on one stack: a collection's children are the
/// top of the stack when it ends, and they are moved (not copied) into an array of exactly their
/// number. Growing one array per collection instead cost several allocations each, left up to
/// half of each array unused, and retained and released every child on the way.
final class ChildStack<Element> {
    private var base: UnsafeMutablePointer<Element>
    private(set) var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 16) {
        base = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    func push(_ element: consuming Element) {
        if count == capacity { grow() }
        (base + count).initialize(to: element)
        count += 1
    }

    var isEmpty: Bool { count == 0 }

    /// The element at `index` (below `count`), read and changed in place.
    subscript(index: Int) -> Element {
        unsafeAddress {
            // One comparison for both bounds: a negative index is a huge unsigned one.
            precondition(UInt(bitPattern: index) < UInt(bitPattern: count))
            return UnsafePointer(base + index)
        }
        unsafeMutableAddress {
            precondition(UInt(bitPattern: index) < UInt(bitPattern: count))
            return base + index
        }
    }

    /// The elements from `start` to the top, read in place until the stack next changes.
    func elements(from start: Int) -> UnsafeBufferPointer<Element> {
        precondition(start >= 0 && start <= count)
        return UnsafeBufferPointer(start: base + start, count: count - start)
    }

    /// Moves the top element out.
    func popLast() -> Element {
        precondition(count > 0)
        count -= 1
        return (base + count).move()
    }

    /// Moves the elements from `start` to the top into a new array, leaving `start` elements.
    func pop(from start: Int) -> [Element] {
        precondition(start >= 0 && start <= count)
        let n = count - start
        count = start
        guard n > 0 else { return [] }
        // `Array(_:)` of a sequence is specialised here, in the caller's module, where the array
        // storage's type metadata is cached. `Array(unsafeUninitializedCapacity:)` allocates
        // through an unspecialised call into the standard library that looks the metadata up
        // in the runtime's table on every call: a third of the cost of each finished map or list.
        return Array(MovedElements(base: base + start, count: n))
    }

    /// Drops the elements from `start` to the top.
    func truncate(to start: Int) {
        precondition(start >= 0 && start <= count)
        (base + start).deinitialize(count: count - start)
        count = start
    }

    private func grow() {
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity *= 2
    }
}

/// Elements moved, once and in order, out of memory the caller then treats as uninitialised;
/// `underestimatedCount` is exact, so `Array(_:)` allocates once and never grows.
private struct MovedElements<Element>: Sequence, IteratorProtocol {
    let base: UnsafeMutablePointer<Element>
    let count: Int
    var moved = 0

    var underestimatedCount: Int { count }

    mutating func next() -> Element? {
        guard moved < count else { return nil }
        defer { moved += 1 }
        return (base + moved).move()
    }
}

extension ChildStack where Element == Mapping.Entry {
    func key(at index: Int) -> String {
        precondition(index >= 0 && index < count)
        return base[index].key
    }

    /// Sets the value of the top entry, whose value is still the null placeholder it was pushed
    /// with. Null holds no reference, so the value is written over it without destroying it first
    /// (an outlined switch over every case of `Value.Kind`, for each value of every map).
    func setValueOfTop(_ value: consuming Value) {
        precondition(count > 0)
        let entry = base + (count - 1)
        assert(entry.pointee.value.isNull, "the top entry already has its value")
        let offset = MemoryLayout<Mapping.Entry>.offset(of: \Mapping.Entry.value)!
        (UnsafeMutableRawPointer(entry) + offset).assumingMemoryBound(to: Value.self).initialize(to: value)
    }

    func keyLocation(at index: Int) -> NodeLocation {
        precondition(index >= 0 && index < count)
        return base[index].keyNodeLocation
    }
}
