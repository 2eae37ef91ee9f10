#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Size-based rotation of a log file that a child process appends to (`copytruncate`): the content
/// moves to `<file>.1` (older ones shift to `.2`, ...; at most `keep` are kept) and the live file is
/// truncated in place, so the child's O_APPEND descriptor goes on writing at the new end.
public struct LogRotator: Sendable {
    /// The size at which the file rolls over.
    public var maxBytes: Int
    /// How many rolled-over files are kept (`<file>.1` ... `<file>.<keep>`).
    public var keep: Int

    /// A rotator with the given limits.
    public init(maxBytes: Int, keep: Int) {
        self.maxBytes = maxBytes
        self.keep = keep
    }

    /// Rolls `path` over when it has reached `maxBytes`; returns whether it did.
    @discardableResult
    public func rotateIfNeeded(_ path: String) throws -> Bool {
        let fileManager = FileManager.default
        guard let size = (try? fileManager.attributesOfItem(atPath: path))?[.size] as? Int, size >= maxBytes else {
            return false
        }
        if keep < 1 {
            truncate(path, 0)
            return true
        }
        try? fileManager.removeItem(atPath: "\(path).\(keep)")
        for index in stride(from: keep - 1, through: 1, by: -1) where fileManager.fileExists(atPath: "\(path).\(index)") {
            try fileManager.moveItem(atPath: "\(path).\(index)", toPath: "\(path).\(index + 1)")
        }
        // Copy, then truncate: a few bytes written in between are lost, which is the usual price of
        // copytruncate and far better than a child writing into a renamed file forever.
        try fileManager.copyItem(atPath: path, toPath: "\(path).1")
        truncate(path, 0)
        return true
    }
}
