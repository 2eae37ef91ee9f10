import Foundation

/// The live cache handles of this process by folder, held weakly: a handle is freed as soon as
/// its last user lets go, and until then everyone shares it (and its lock).
final class OpenCaches: @unchecked Sendable {
    static let shared = OpenCaches()
    private let lock = NSLock()
    private var handles: [String: WeakRepository] = [:]

    private struct WeakRepository { weak var repository: GitRepository? }

    /// The live handle for `folder`, or a new one from `make()`.
    func repository(at folder: String, make: () throws -> GitRepository) throws -> GitRepository {
        lock.lock()
        defer { lock.unlock() }
        if let live = handles[folder]?.repository { return live }
        let repository = try make()
        handles = handles.filter { $0.value.repository != nil }
        handles[folder] = WeakRepository(repository: repository)
        return repository
    }
}
