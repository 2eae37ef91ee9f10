// The SluiceCore types the parser uses (ThreadLock: parsers before 2026-12-01, to compare against), so that the parser compiles on its own (see yaml-differential.sh).
#if canImport(Glibc)
import Glibc
#endif

public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public init(file: String, line: Int, column: Int) { self.file = file; self.line = line; self.column = column }
    public var description: String { "\(file):\(line):\(column)" }
}
public protocol SluiceError: Error, CustomStringConvertible, Sendable {
    var location: SourceLocation? { get }
    var message: String { get }
    var hint: String? { get }
}
extension SluiceError {
    public var description: String {
        var text = location.map { "\($0): \(message)" } ?? message
        if let hint { text += "\n  hint: \(hint)" }
        return text
    }
}
public final class ThreadLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    public init() { pthread_mutex_init(mutex, nil) }
    deinit { pthread_mutex_destroy(mutex); mutex.deallocate() }
    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }
}
