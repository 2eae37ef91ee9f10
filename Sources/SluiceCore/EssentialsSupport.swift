#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The few pieces of full Foundation that the modules in the runtime agent's path used, rebuilt on
// FoundationEssentials and POSIX: `sluice-runtime` links no Foundation, ICU or
// FoundationInternationalization (docs/runtime.md, "Idle memory"). Each keeps the behaviour of
// the Foundation call it replaces.

extension StringProtocol {
    /// `trimmingCharacters(in: .whitespaces)`: space separators (Unicode Zs), tab, and the zero
    /// width space U+200B, which Foundation's set holds too (EssentialsSupportTests compares them).
    public func trimmingWhitespace() -> String {
        trimmingScalars { $0 == "\t" || $0 == "\u{200B}" || $0.properties.generalCategory == .spaceSeparator }
    }

    /// `trimmingCharacters(in: .whitespacesAndNewlines)`: the Unicode White_Space property (Zs, tab,
    /// U+000A-U+000D, U+0085, U+2028, U+2029) and U+200B, as Foundation's set.
    public func trimmingWhitespaceAndNewlines() -> String {
        trimmingScalars { $0 == "\u{200B}" || $0.properties.isWhitespace }
    }

    /// The first range of the ASCII text `needle` in any letter case. For an ASCII needle this is
    /// what `range(of:options: .caseInsensitive)` finds here: no other letter folds to a-z.
    public func asciiCaseInsensitiveRange(of needle: String) -> Range<Index>? {
        let wanted = needle.utf8.map(Self.asciiLowered)
        let bytes = utf8
        var start = bytes.startIndex
        while start != bytes.endIndex {
            var cursor = start
            var matched = 0
            while matched < wanted.count, cursor != bytes.endIndex, Self.asciiLowered(bytes[cursor]) == wanted[matched] {
                bytes.formIndex(after: &cursor)
                matched += 1
            }
            if matched == wanted.count { return start..<cursor }
            bytes.formIndex(after: &start)
        }
        return nil
    }

    /// Whether the ASCII text `needle` occurs in any letter case.
    public func asciiCaseInsensitiveContains(_ needle: String) -> Bool {
        asciiCaseInsensitiveRange(of: needle) != nil
    }

    private static func asciiLowered(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    private func trimmingScalars(_ trimmed: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !trimmed($0) }),
              let last = scalars.lastIndex(where: { !trimmed($0) }) else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}

/// A number with a fixed count of decimals, as C's `printf("%.<n>f")` writes it (what
/// `String(format:)` did).
public func decimalText(_ value: Double, decimals: Int) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    let written = withVaList([value]) { vsnprintf(&buffer, buffer.count, "%.\(max(0, min(decimals, 17)))f", $0) }
    guard written >= 0 else { return String(value) }
    return String(decoding: buffer.prefix(min(Int(written), buffer.count - 1)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Whole-file reads and appends on POSIX descriptors (what `FileHandle` did here).
public enum FileBytes {
    /// The bytes of `path` from `offset` to its end, at most `limit` of them; nil when it cannot be
    /// opened; throws when reading fails.
    public static func read(_ path: String, from offset: Int = 0, limit: Int = .max) throws -> Data? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        var position = off_t(offset)
        while data.count < limit {
            let wanted = min(chunk.count, limit - data.count)
            let count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, wanted, position) }
            if count < 0, errno == EINTR { continue }
            if count < 0 { throw FileReadError(message: "cannot read \(path): \(String(cString: strerror(errno)))") }
            guard count > 0 else { break }
            data.append(contentsOf: chunk[0..<count])
            position += off_t(count)
        }
        return data
    }

    /// Appends `data` to the existing file at `path`; false when it cannot be opened (it is not created).
    @discardableResult
    public static func append(_ data: Data, toExisting path: String) -> Bool {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        writeAll(data, to: descriptor)
        return true
    }

    /// Flushes the existing file at `path` to disk (`fsync`); false when it cannot be opened.
    @discardableResult
    public static func synchronize(_ path: String) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return fsync(descriptor) == 0
    }

    private static func writeAll(_ data: Data, to descriptor: Int32) {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let count = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { return }
                offset += count
            }
        }
    }
}

/// Reading a file failed after it was opened.
public struct FileReadError: SluiceError {
    public var message: String
    public var hint: String? { nil }
}
