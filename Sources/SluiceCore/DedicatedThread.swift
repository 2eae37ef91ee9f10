#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking work — a libgit2 fetch, a child process, a synchronous C call — on a thread of
/// its own and suspends the caller until it finishes.
///
/// Swift concurrency's cooperative pool has one thread per core; blocking one of them (two on a
/// small host) stalls every other task, from HTTP retries to lease renewals. Work that blocks for
/// more than a moment belongs here instead.
public func onDedicatedThread<T: Sendable>(_ name: String, _ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        startThread(name) { continuation.resume(with: Result { try work() }) }
    }
}

/// `onDedicatedThread` for work that cannot fail.
public func onDedicatedThread<T: Sendable>(_ name: String, _ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        startThread(name) { continuation.resume(returning: work()) }
    }
}

/// Runs `body` on a new detached thread named `name` (what Foundation's `Thread` did here).
private func startThread(_ name: String, _ body: @escaping @Sendable () -> Void) {
    #if canImport(Glibc)
    final class Start {
        let name: String
        let body: @Sendable () -> Void
        init(_ name: String, _ body: @escaping @Sendable () -> Void) { (self.name, self.body) = (name, body) }
    }
    let start = Unmanaged.passRetained(Start(name, body)).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    var thread = pthread_t()
    let created = pthread_create(&thread, &attributes, { raw in
        let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
        // pthread_setname_np is not in Swift's Glibc module; /proc is what it writes to. Linux keeps
        // 15 bytes of a thread's name.
        let descriptor = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        if descriptor >= 0 {
            let name = Array(start.name.utf8.prefix(15))
            _ = name.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
        }
        start.body()
        return nil
    }, start)
    if created != 0 {
        // No thread to be had (the process's limit): run here rather than lose the work.
        Unmanaged<Start>.fromOpaque(start).takeRetainedValue().body()
    }
    #else
    let thread = Thread(block: body)
    thread.name = name
    thread.start()
    #endif
}
