/// Bounds on what the YAML parser accepts, so that hostile input (an alias bomb, absurd
/// nesting, a huge file) is refused quickly instead of exhausting memory or the stack.
public struct YAMLLimits: Sendable, Hashable {
    /// Largest input in bytes; checked before parsing starts.
    public var maxBytes: Int
    /// Deepest nesting of maps and lists (the root collection is level 1).
    public var maxDepth: Int
    /// Most nodes in one parse, counting every node an alias stands for as if it were
    /// written out: an alias to a subtree of 1,000 nodes counts 1,000.
    public var maxNodes: Int
    /// Most alias uses (`*name`) in one parse; `nil` means no separate limit.
    public var maxAliases: Int?

    public init(maxBytes: Int = 8 << 20, maxDepth: Int = 200, maxNodes: Int = 1_000_000, maxAliases: Int? = nil) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
        self.maxAliases = maxAliases
    }

    /// 8 MiB, 200 levels, 1,000,000 nodes, no separate alias limit.
    public static let `default` = YAMLLimits()
}
