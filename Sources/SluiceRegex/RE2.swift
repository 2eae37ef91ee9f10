import CRE2Shim
import SluiceCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// A regular expression in RE2 syntax, run by RE2 itself (Debian's libre2): the syntax Kubernetes
/// and cel-go accept (https://github.com/google/re2/wiki/Syntax), and matching in time linear in
/// the input, so no pattern and no input can make a match backtrack. Patterns RE2 refuses, such as
/// backreferences (`(a)\1`) and lookaround (`(?=x)`), fail to compile with RE2's message.
///
/// Immutable after compilation and safe to use from many threads (RE2 objects are).
public final class RE2: @unchecked Sendable {
    public let pattern: String
    private let handle: OpaquePointer

    /// An RE2 compile error: `message` is RE2's own, e.g. "invalid escape sequence: \1".
    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        public var pattern: String
        public var message: String
        public var description: String { "error parsing regexp: \(message): `\(pattern)`" }
    }

    public init(_ pattern: String) throws {
        self.pattern = pattern
        let capacity = 512
        var error = [CChar](repeating: 0, count: capacity)
        let compiled = pattern.utf8CString.withUnsafeBufferPointer { bytes in
            sluice_re2_compile(bytes.baseAddress!, bytes.count - 1, &error, capacity)
        }
        guard let compiled else {
            let message = error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw SyntaxError(pattern: pattern, message: message)
        }
        handle = compiled
    }

    deinit { sluice_re2_free(handle) }

    /// Whether the expression matches anywhere in `text` (CEL's `matches`, JSON Schema's `pattern`:
    /// both unanchored).
    public func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { sluice_re2_matches(handle, $0.baseAddress, $0.count) != 0 }
    }

    /// The leftmost match in `text`, or nil.
    public func firstMatch(in text: String) -> Substring? {
        var text = text
        let range: Range<Int>? = text.withUTF8 { bytes in
            var start = 0, end = 0
            guard sluice_re2_search(handle, bytes.baseAddress, bytes.count, 0, &start, &end) != 0 else { return nil }
            return start..<end
        }
        return range.map { Self.slice(text, $0) }
    }

    /// The successive non-overlapping matches in `text`, at most `limit` of them (all when nil),
    /// as Go's `Regexp.FindAllString` returns them: an empty match right after a previous match is
    /// skipped, and after an empty match the search moves on by one character.
    public func allMatches(in text: String, limit: Int? = nil) -> [Substring] {
        var text = text
        let ranges: [Range<Int>] = text.withUTF8 { bytes in
            var found: [Range<Int>] = []
            var position = 0, previousEnd = -1
            while position <= bytes.count, limit.map({ found.count < $0 }) ?? true {
                var start = 0, end = 0
                guard sluice_re2_search(handle, bytes.baseAddress, bytes.count, position, &start, &end) != 0 else { break }
                var accept = true
                if end == start {
                    if start == previousEnd { accept = false }
                    // Step over one UTF-8 encoded character (or past the end).
                    position = start + 1
                    while position < bytes.count, bytes[position] & 0xC0 == 0x80 { position += 1 }
                } else {
                    position = end
                }
                previousEnd = end
                if accept { found.append(start..<end) }
            }
            return found
        }
        return ranges.map { Self.slice(text, $0) }
    }

    private static func slice(_ text: String, _ bytes: Range<Int>) -> Substring {
        let utf8 = text.utf8
        let lower = utf8.index(utf8.startIndex, offsetBy: bytes.lowerBound)
        let upper = utf8.index(lower, offsetBy: bytes.count)
        return text[lower..<upper]
    }
}

/// Compiled patterns by source, shared by every caller: a policy names the same few patterns for
/// every object. Bounded: when full, the older half is dropped, so a stream of distinct patterns
/// (built from data, say) cannot grow memory without limit; each compiled pattern is itself
/// limited by RE2 (`max_mem`, 8 MiB).
public enum RE2Cache {
    public static let capacity = 64
    /// The compiled patterns, and their sources oldest first.
    private struct Entries {
        var compiled: [String: Result<RE2, RE2.SyntaxError>] = [:]
        var order: [String] = []
    }

    private static let entries = Mutex(Entries())

    /// How many patterns are kept now.
    public static var count: Int { entries.withLock { $0.compiled.count } }

    /// The compiled `pattern`, or its compile error (remembered too: a bad pattern in a policy is
    /// refused on every evaluation without compiling it again).
    public static func compile(_ pattern: String) throws -> RE2 {
        if let known = entries.withLock({ $0.compiled[pattern] }) { return try known.get() }
        let result: Result<RE2, RE2.SyntaxError>
        do { result = .success(try RE2(pattern)) } catch let error as RE2.SyntaxError { result = .failure(error) }
        entries.withLock { entries in
            if entries.compiled[pattern] == nil {
                if entries.compiled.count >= capacity {
                    for old in entries.order.prefix(capacity / 2) { entries.compiled[old] = nil }
                    entries.order.removeFirst(capacity / 2)
                }
                entries.compiled[pattern] = result
                entries.order.append(pattern)
            }
        }
        return try result.get()
    }
}
