import Foundation

/// What a process has mapped, from `/proc/<pid>/maps`, read to the end through a file handle: the
/// file is a kernel sequence file that answers about a page per read, and `String(contentsOfFile:)`
/// keeps only the first read, so a mapping listed after the first 4 KiB looked absent.
public enum ProcessMaps {
    /// The whole listing, or nil when it cannot be read (the process is gone).
    public static func listing(of pid: pid_t = getpid()) -> String? {
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/maps") else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Every mapped path, and pseudo-paths such as `[stack]`, or nil when the listing cannot be read.
    public static func mappedFiles(of pid: pid_t = getpid()) -> Set<String>? {
        listing(of: pid).map { listing in
            Set(listing.split(separator: "\n").compactMap { line in
                line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true).dropFirst(5).first.map {
                    String($0.drop { $0 == " " })
                }
            })
        }
    }

    /// The last path components of every mapped file (`libcurl.so.4.8.0`), or nil as above.
    public static func mappedNames(of pid: pid_t = getpid()) -> Set<String>? {
        mappedFiles(of: pid).map { Set($0.map { URL(fileURLWithPath: $0).lastPathComponent }) }
    }
}
