#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore
import Synchronization

/// Where a node was read, as every `Value` and map key stores it: 12 bytes and no reference count.
///
/// A `SourceLocation` is 32 bytes and holds the file name as a `String`, so each node kept a
/// reference to it: at 10,000 spec files that was most of the value model's memory, and copying
/// or dropping a node paid a retain or release for the name. Here the file is a number in a
/// process-wide table of names, and `sourceLocation` builds the full location when an error,
/// a violation or a diff needs it.
public struct NodeLocation: Sendable, Hashable {
    /// 0 for "no location"; otherwise 1 + the index of the file's name in `SourceFileNames`.
    @usableFromInline var file: UInt32
    @usableFromInline var line: UInt32
    @usableFromInline var column: UInt32

    /// No location: a node Sluice made itself.
    public static let none = NodeLocation(file: 0, line: 0, column: 0)

    @inlinable init(file: UInt32, line: UInt32, column: UInt32) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// A location in a file registered with `SourceFileNames.id(of:)`.
    @inlinable init(fileID: UInt32, line: Int, column: Int) {
        self.init(file: fileID, line: Self.clamp(line), column: Self.clamp(column))
    }

    /// A location from a zero-based line and column, as libyaml counts them (never negative).
    /// Two instructions a number where `init(fileID:line:column:)` checks for overflow and clamps
    /// both ends, for each of the parser's hundred thousand nodes a second.
    @inlinable init(fileID: UInt32, zeroBasedLine line: Int, column: Int) {
        self.init(file: fileID, line: Self.oneBased(line), column: Self.oneBased(column))
    }

    public init(_ location: SourceLocation?) {
        guard let location else {
            self = .none
            return
        }
        self.init(fileID: SourceFileNames.id(of: location.file), line: location.line, column: location.column)
    }

    public var isNone: Bool { file == 0 }

    /// This location, or `other` when this is none.
    @inlinable public func or(_ other: NodeLocation) -> NodeLocation { file == 0 ? other : self }

    /// The full location, with the file's name; `nil` for `none`.
    public var sourceLocation: SourceLocation? {
        guard file != 0 else { return nil }
        return SourceLocation(file: SourceFileNames.name(of: file), line: Int(line), column: Int(column))
    }

    /// `n + 1`, where a count past 4 billion (or a negative one) reads as the largest.
    @inlinable static func oneBased(_ n: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: Swift.min(UInt(bitPattern: n), UInt(UInt32.max - 1))) &+ 1
    }

    /// Lines and columns beyond 4 billion (not possible within YAML's size limit) read as the largest.
    @inlinable static func clamp(_ n: Int) -> UInt32 { n <= 0 ? 0 : n >= Int(UInt32.max) ? UInt32.max : UInt32(n) }
}

/// The names of the files nodes were read from, numbered once per process.
///
/// The names are spec paths relative to their root, policy and kubeconfig paths, and the names
/// of the servers whose responses are parsed: a set bounded by the repository and the
/// configuration, so the table is never trimmed.
enum SourceFileNames {
    private struct Table {
        var ids: [String: UInt32] = [:]
        var names: [String] = []
    }

    private static let table = Mutex(Table())

    /// The number of `name`, registering it on first use (0 only when the table is full).
    static func id(of name: String) -> UInt32 {
        table.withLock { table in
            if let id = table.ids[name] { return id }
            // Four billion names cannot come from a bounded repository; past that, nodes go unlocated.
            guard table.names.count < Int(UInt32.max - 1) else { return 0 }
            table.names.append(name)
            let id = UInt32(table.names.count)
            table.ids[name] = id
            return id
        }
    }

    static func name(of id: UInt32) -> String {
        table.withLock { $0.names[Int(id) - 1] }
    }
}
