/// A bound on how much of the thread's stack a recursive walk (the parser, the evaluator) may
/// use, measured from where the walk starts. Depth limits bound the recursion in count; this bounds
/// it in bytes, whatever the build mode and whatever construct recurses. A debug build needs about
/// 21 KiB of stack per nesting level to parse and 11 KiB to evaluate (measured on Linux x86_64),
/// many times a release build. Every thread Sluice runs CEL on has an 8 MiB stack on Linux (the
/// main thread, Foundation threads and Swift concurrency's threads, measured), so a walk may use 6 MiB
/// and leaves 2 MiB to its callers; parsing and evaluating never run nested in each other.
struct StackGuard {
    static let budget: UInt = 6 << 20

    /// The lowest stack address the walk may reach (stacks grow down on every supported platform).
    let floor: UInt

    init(budget: UInt) {
        floor = StackGuard.address() &- budget
    }

    /// Whether the walk has used up its budget.
    var exhausted: Bool { StackGuard.address() < floor }

    /// An address in the caller's frame.
    @inline(never)
    static func address() -> UInt {
        var marker: UInt8 = 0
        return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
    }
}
