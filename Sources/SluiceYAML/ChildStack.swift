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

    /// The element at `index` (below `count`), read in place.
    subscript(index: Int) -> Element {
        precondition(index >= 0 && index < count)
        return base[index]
    }

    /// Moves the elements from `start` to the top into a new array, leaving `start` elements.
    func pop(from start: Int) -> [Element] {
        precondition(start >= 0 && start <= count)
        let n = count - start
        let out = [Element](unsafeUninitializedCapacity: n) { buffer, initialized in
            if n > 0, let target = buffer.baseAddress { target.moveInitialize(from: base + start, count: n) }
            initialized = n
        }
        count = start
        return out
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

extension ChildStack where Element == Mapping.Entry {
    func key(at index: Int) -> String {
        precondition(index >= 0 && index < count)
        return base[index].key
    }

    /// Sets the value of the top entry, in place.
    func setValueOfTop(_ value: consuming Value) {
        precondition(count > 0)
        base[count - 1].value = value
    }

    func keyLocation(at index: Int) -> NodeLocation {
        precondition(index >= 0 && index < count)
        return base[index].keyNodeLocation
    }
}
