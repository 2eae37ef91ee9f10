#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import SluiceCore

/// A `SourceTree` over a directory on disk: the working-copy counterpart of a Git commit.
///
/// It reads what a commit would hold: regular files only. Symlinks are not followed (a commit
/// read by revision has them as link text, and a link may point anywhere on the host), and
/// FIFOs, sockets and devices are never opened; each of them is reported by `skippedEntries`.
public struct DirectoryTree: SourceTree {
    public let root: URL

    public init(path: String) {
        // Resolved, so that a spec root reached through a symlink is walked like any other.
        root = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL.resolvingSymlinksInPath()
    }

    public var displayName: String { root.path }

    private enum Kind { case file, folder, symlink, special(String), missing }

    private static func kind(_ path: String) -> Kind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .folder
        case S_IFLNK: return .symlink
        case S_IFIFO: return .special("a FIFO")
        case S_IFSOCK: return .special("a socket")
        case S_IFCHR, S_IFBLK: return .special("a device")
        default: return .special("not a regular file")
        }
    }

    /// Walks `path` once: the regular files, and what was left out with the reason.
    private func walk(_ path: String) throws -> (files: [String], skipped: [SkippedEntry]) {
        let clean = try containedTreePath(path)
        let base = clean.isEmpty ? root.path : root.path + "/" + clean
        switch Self.kind(base) {
        case .missing: throw TreeError(message: "\(base) does not exist", hint: "check --repo and --path")
        case .file: return ([clean], [])
        case .symlink: return ([], [SkippedEntry(path: clean, reason: "a symbolic link (not followed)")])
        case .special(let what): return ([], [SkippedEntry(path: clean, reason: "\(what) (never opened)")])
        case .folder: break
        }
        var files: [String] = [], skipped: [SkippedEntry] = []
        var pending = [clean]
        var visited = 0
        while let folder = pending.popLast() {
            let full = folder.isEmpty ? root.path : root.path + "/" + folder
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: full) else {
                skipped.append(SkippedEntry(path: folder, reason: "cannot be listed"))
                continue
            }
            for name in names where !name.hasPrefix(".") {
                visited += 1
                let relative = folder.isEmpty ? name : folder + "/" + name
                switch Self.kind(full + "/" + name) {
                case .file: files.append(relative)
                case .folder: pending.append(relative)
                case .symlink: skipped.append(SkippedEntry(path: relative, reason: "a symbolic link (not followed)"))
                case .special(let what): skipped.append(SkippedEntry(path: relative, reason: "\(what) (never opened)"))
                case .missing: skipped.append(SkippedEntry(path: relative, reason: "vanished while listing"))
                }
            }
        }
        return (files.sorted(), skipped.sorted { $0.path < $1.path })
    }

    public func files(under path: String) throws -> [String] { try walk(path).files }

    public func skippedEntries(under path: String) -> [SkippedEntry] { (try? walk(path).skipped) ?? [] }

    public func read(_ path: String) throws -> [UInt8] { try read(path, maxBytes: Int.max - 1) }

    /// `lstat` first: only a regular file inside the root is opened, and only when its size is
    /// within `maxBytes`; then at most `maxBytes + 1` bytes are read, should it grow meanwhile.
    /// The bytes go straight into an array of the file's size (a zeroed 64 KiB chunk per file
    /// cost as much as parsing it).
    public func read(_ path: String, maxBytes: Int) throws -> [UInt8] {
        let clean = try containedTreePath(path)
        let full = root.path + "/" + clean
        var info = stat()
        guard lstat(full, &info) == 0 else {
            throw TreeError(message: "cannot read \(full)", hint: "check that the file exists and is readable")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw TreeError(message: "\(full) is not a regular file; it was not read", hint: "specs are regular files; symlinks and special files are skipped")
        }
        if Int(info.st_size) > maxBytes { throw FileTooLarge(file: clean, size: Int(info.st_size), limit: maxBytes) }
        let fd = open(full, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw TreeError(message: "cannot read \(full): \(String(cString: strerror(errno)))", hint: "check that the file is readable") }
        defer { close(fd) }
        // One byte more than `lstat` said, to see a file that grew since.
        let expected = Int(info.st_size)
        var bytes = try readUpTo(expected + 1, from: fd, full)
        guard bytes.count > expected else { return bytes }
        // It grew: read on in chunks, never past the limit.
        while true {
            if bytes.count > maxBytes { throw FileTooLarge(file: clean, size: bytes.count, limit: maxBytes) }
            let more = try readUpTo(Swift.min(64 << 10, maxBytes + 1 - bytes.count), from: fd, full)
            if more.isEmpty { return bytes }
            bytes += more
        }
    }

    /// Up to `count` bytes of `fd`, fewer only at its end.
    private func readUpTo(_ count: Int, from fd: Int32, _ full: String) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, filled in
            filled = 0
            while filled < count {
                let n = Glibc.read(fd, buffer.baseAddress! + filled, count - filled)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw TreeError(message: "cannot read \(full): \(String(cString: strerror(errno)))", hint: nil)
                }
                if n == 0 { break }
                filled += n
            }
        }
    }
}

/// A file could not be listed or read.
public struct TreeError: SluiceError {
    public var message: String
    public var hint: String?
}
