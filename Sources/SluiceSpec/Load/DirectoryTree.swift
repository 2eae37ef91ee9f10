import Foundation
import SluiceCore

/// A `SourceTree` over a directory on disk: the working-copy counterpart of a Git commit.
public struct DirectoryTree: SourceTree {
    public let root: URL

    public init(path: String) {
        // Resolved, so that a spec root reached through a symlink is walked like any other.
        root = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL.resolvingSymlinksInPath()
    }

    public var displayName: String { root.path }

    public func files(under path: String) throws -> [String] {
        let base = path.isEmpty ? root : root.appendingPathComponent(path, isDirectory: true)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: base.path, isDirectory: &isDirectory) else {
            throw TreeError(message: "\(base.path) does not exist", hint: "check --repo and --path")
        }
        guard isDirectory.boolValue else { return [path] }
        guard let walker = FileManager.default.enumerator(
            at: base, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
        else { return [] }
        let prefix = root.path.hasSuffix("/") ? root.path : root.path + "/"
        var out: [String] = []
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let full = url.resolvingSymlinksInPath().path
            out.append(full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : full)
        }
        return out.sorted()
    }

    public func read(_ path: String) throws -> [UInt8] {
        let url = root.appendingPathComponent(path)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TreeError(message: "cannot read \(url.path)", hint: "check that the file exists and is readable")
        }
        return [UInt8](data)
    }
}

/// A file could not be listed or read.
public struct TreeError: SluiceError {
    public var message: String
    public var hint: String?
}
