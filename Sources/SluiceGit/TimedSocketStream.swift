import CGit2
import Foundation
import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

/// The time budget of the fetch running on this thread. libgit2 opens its sockets on the calling
/// thread, and its stream constructor takes no payload, so the budget travels in a thread-local.
final class FetchBudget: @unchecked Sendable {
    let timeouts: GitTimeouts
    let deadline: ContinuousClock.Instant
    private let lock = NSLock()
    private var _expiredWhile: String?
    private var cancelled = false
    private var sockets: [ObjectIdentifier: () -> Void] = [:]

    init(_ timeouts: GitTimeouts, startingAt start: ContinuousClock.Instant = .now) {
        self.timeouts = timeouts
        self.deadline = start + timeouts.fetch
    }

    /// What the fetch was doing when a timeout ended it ("connecting to host:port", ...), if one did.
    var timedOut: String? { lock.withLock { _expiredWhile } }
    func recordTimeout(_ what: String) { lock.withLock { if _expiredWhile == nil { _expiredWhile = what } } }

    /// Ends the fetch now (shutdown of the service): every open connection is shut down, so a
    /// blocked read returns, and no new step starts.
    func cancel() {
        let aborts: [() -> Void] = lock.withLock {
            cancelled = true
            if _expiredWhile == nil { _expiredWhile = "the fetch was cancelled (shutting down)" }
            return Array(sockets.values)
        }
        aborts.forEach { $0() }
    }

    func track(_ socket: TimedSocket, abort: @escaping () -> Void) -> Bool {
        lock.withLock {
            sockets[ObjectIdentifier(socket)] = abort
            return !cancelled
        }
    }

    func untrack(_ socket: TimedSocket) { _ = lock.withLock { sockets.removeValue(forKey: ObjectIdentifier(socket)) } }

    /// Milliseconds to wait for one step that may take `limit`, cut short by the deadline; `nil`
    /// once the deadline has passed or the fetch was cancelled.
    func wait(upTo limit: Duration) -> (milliseconds: Int32, isDeadline: Bool)? {
        if lock.withLock({ cancelled }) { return nil }
        let left = deadline - .now
        guard left > .zero else { return nil }
        if left < limit { return (Int32(clamping: left.wholeMilliseconds), true) }
        return (Int32(clamping: limit.wholeMilliseconds), false)
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Runs `body` with `self` as the budget of every connection opened on this thread.
    func apply<T>(_ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(Self.key)
        let me = Unmanaged.passRetained(self)
        pthread_setspecific(Self.key, me.toOpaque())
        defer {
            pthread_setspecific(Self.key, previous)
            me.release()
        }
        return try body()
    }

    static var current: FetchBudget? {
        pthread_getspecific(key).map { Unmanaged<FetchBudget>.fromOpaque($0).takeUnretainedValue() }
    }
}

/// A plain TCP stream for libgit2 (git://, http://, and under TLS and SSH) with a connect timeout,
/// a stall timeout on every read and write, and the fetch's deadline.
///
/// libgit2 1.5 has no network timeouts of its own: its default socket blocks in `connect` and
/// `recv` for as long as the peer keeps the connection open. Registering this stream as the
/// standard stream replaces that socket everywhere, since libgit2's TLS stream and SSH transport
/// open theirs through the same registry.
///
/// Memory layout: libgit2's SSH transport reads the socket descriptor straight out of what it
/// takes for its own `git_socket_stream { git_stream parent; char *host; char *port; int s; }`
/// (libgit2 1.5 src/libgit2/streams/socket.h), so the descriptor sits at that offset, the two
/// pointers before it stay null, and the Swift state follows.
enum TimedSocketStream {
    private static let descriptorOffset = MemoryLayout<git_stream>.stride + 2 * MemoryLayout<UnsafeRawPointer>.stride
    private static let stateOffset = descriptorOffset + 8
    private static let byteCount = stateOffset + MemoryLayout<UnsafeMutableRawPointer>.stride

    private static let registered: Void = {
        var registration = git_stream_registration()
        registration.version = 1
        registration.`init` = { out, host, port in
            guard let out, let host, let port else { return -1 }
            out.pointee = TimedSocketStream.make(host: String(cString: host), port: String(cString: port))
            return 0
        }
        registration.wrap = nil
        git_stream_register(GIT_STREAM_STANDARD, &registration)
    }()

    /// Makes libgit2 open every TCP connection through this stream (once per process).
    static func register() { _ = registered }

    private static func make(host: String, port: String) -> UnsafeMutablePointer<git_stream> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 16)
        let stream = raw.bindMemory(to: git_stream.self, capacity: 1)
        var base = git_stream()
        base.version = 1
        base.encrypted = 0
        base.proxy_support = 0
        base.connect = { stream in TimedSocketStream.socket(stream).connect() }
        base.certificate = nil
        base.set_proxy = nil
        base.read = { stream, buffer, count in
            guard let buffer else { return -1 }
            return TimedSocketStream.socket(stream).read(buffer, count)
        }
        base.write = { stream, data, count, _ in
            guard let data else { return -1 }
            return TimedSocketStream.socket(stream).write(data, count)
        }
        base.close = { stream in
            TimedSocketStream.socket(stream).close()
            return 0
        }
        base.free = { stream in
            guard let stream else { return }
            let raw = UnsafeMutableRawPointer(stream)
            let state = raw.load(fromByteOffset: TimedSocketStream.stateOffset, as: UnsafeMutableRawPointer.self)
            let socket = Unmanaged<TimedSocket>.fromOpaque(state)
            socket.takeUnretainedValue().close()
            socket.release()
            raw.deallocate()
        }
        stream.initialize(to: base)
        (raw + MemoryLayout<git_stream>.stride).initializeMemory(as: UInt8.self, repeating: 0, count: descriptorOffset - MemoryLayout<git_stream>.stride)
        let budget = FetchBudget.current ?? FetchBudget(GitTimeouts())
        let socket = TimedSocket(host: host, port: port, budget: budget,
                                 descriptor: (raw + descriptorOffset).bindMemory(to: Int32.self, capacity: 1))
        socket.descriptor.pointee = -1
        raw.storeBytes(of: Unmanaged.passRetained(socket).toOpaque(), toByteOffset: stateOffset, as: UnsafeMutableRawPointer.self)
        return stream
    }

    private static func socket(_ stream: UnsafeMutablePointer<git_stream>?) -> TimedSocket {
        let state = UnsafeMutableRawPointer(stream!).load(fromByteOffset: stateOffset, as: UnsafeMutableRawPointer.self)
        return Unmanaged<TimedSocket>.fromOpaque(state).takeUnretainedValue()
    }
}

/// One connection of a `TimedSocketStream`.
final class TimedSocket: @unchecked Sendable {
    let host: String
    let port: String
    let budget: FetchBudget
    /// Inside the stream's memory, where libgit2's SSH transport expects the descriptor.
    let descriptor: UnsafeMutablePointer<Int32>
    private let lock = NSLock()
    private var closed = false

    init(host: String, port: String, budget: FetchBudget, descriptor: UnsafeMutablePointer<Int32>) {
        self.host = host
        self.port = port
        self.budget = budget
        self.descriptor = descriptor
    }

    private var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    private func fail(_ message: String) -> Int32 {
        git_error_set_str(Int32(GIT_ERROR_NET.rawValue), message)
        return -1
    }

    private func timeout(_ doing: String, isDeadline: Bool, limit: Duration) -> Int32 {
        let message = isDeadline
            ? "the fetch took longer than \(DurationText.format(budget.timeouts.fetch)) (while \(doing) \(endpoint))"
            : "no progress for \(DurationText.format(limit)) while \(doing) \(endpoint)"
        budget.recordTimeout(message)
        return fail(message)
    }

    func connect() -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, port, &hints, &list)
        guard resolved == 0, let list else {
            return fail("cannot resolve \(host): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = Glibc.socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = String(cString: strerror(errno)); continue }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 || errno == EISCONN {
                return adopt(fd)
            }
            guard errno == EINPROGRESS else {
                lastError = String(cString: strerror(errno))
                Glibc.close(fd)
                continue
            }
            switch waitFor(fd, events: Int16(POLLOUT), limit: budget.timeouts.connect) {
            case .ready:
                var code: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
                if code == 0 { return adopt(fd) }
                lastError = String(cString: strerror(code))
                Glibc.close(fd)
            case .timedOut(let isDeadline):
                Glibc.close(fd)
                if let timedOut = budget.timedOut { return fail(timedOut) }
                return timeout("connecting to", isDeadline: isDeadline, limit: budget.timeouts.connect)
            case .failed(let message):
                lastError = message
                Glibc.close(fd)
            }
        }
        return fail("cannot connect to \(endpoint): \(lastError)")
    }

    private func adopt(_ fd: Int32) -> Int32 {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        lock.withLock {
            descriptor.pointee = fd
            closed = false
        }
        guard budget.track(self, abort: { [weak self] in self?.abort() }) else {
            close()
            return fail(budget.timedOut ?? "the fetch was cancelled")
        }
        armDeadline()
        return 0
    }

    /// SSH reads the descriptor itself, past `read`; at the deadline the connection is shut down
    /// so that any blocked read returns.
    private func armDeadline() {
        let left = budget.deadline - .now
        let delay = DispatchTimeInterval.milliseconds(max(left.wholeMilliseconds, 0))
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in
            guard let self else { return }
            self.lock.withLock {
                guard !self.closed, self.descriptor.pointee >= 0 else { return }
                self.budget.recordTimeout("the fetch took longer than \(DurationText.format(self.budget.timeouts.fetch)) (connected to \(self.endpoint))")
                shutdown(self.descriptor.pointee, Int32(SHUT_RDWR))
            }
        }
    }

    /// Shuts the connection down without closing the descriptor (libgit2 still owns the stream).
    func abort() {
        lock.withLock {
            guard !closed, descriptor.pointee >= 0 else { return }
            shutdown(descriptor.pointee, Int32(SHUT_RDWR))
        }
    }

    private enum Wait { case ready, timedOut(isDeadline: Bool), failed(String) }

    private func waitFor(_ fd: Int32, events: Int16, limit: Duration) -> Wait {
        while true {
            guard let (milliseconds, isDeadline) = budget.wait(upTo: limit) else { return .timedOut(isDeadline: true) }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, milliseconds)
            if ready > 0 { return .ready }
            if ready == 0 { return .timedOut(isDeadline: isDeadline) }
            if errno != EINTR { return .failed(String(cString: strerror(errno))) }
        }
    }

    func read(_ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        let fd = descriptor.pointee
        guard fd >= 0 else { return Int(fail("read from \(endpoint) before connecting")) }
        while true {
            switch waitFor(fd, events: Int16(POLLIN), limit: budget.timeouts.stall) {
            case .ready:
                let received = recv(fd, buffer, count, 0)
                if received >= 0 { return received }
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }
                if let timedOut = budget.timedOut { return Int(fail(timedOut)) }
                return Int(fail("cannot read from \(endpoint): \(String(cString: strerror(errno)))"))
            case .timedOut(let isDeadline):
                if let timedOut = budget.timedOut { return Int(fail(timedOut)) }
                return Int(timeout("waiting for data from", isDeadline: isDeadline, limit: budget.timeouts.stall))
            case .failed(let message):
                return Int(fail("cannot read from \(endpoint): \(message)"))
            }
        }
    }

    func write(_ data: UnsafePointer<CChar>, _ count: Int) -> Int {
        let fd = descriptor.pointee
        guard fd >= 0 else { return Int(fail("write to \(endpoint) before connecting")) }
        var sent = 0
        while sent < count {
            switch waitFor(fd, events: Int16(POLLOUT), limit: budget.timeouts.stall) {
            case .ready:
                let written = send(fd, data + sent, count - sent, Int32(MSG_NOSIGNAL))
                if written >= 0 { sent += written; continue }
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }
                if let timedOut = budget.timedOut { return Int(fail(timedOut)) }
                return Int(fail("cannot send to \(endpoint): \(String(cString: strerror(errno)))"))
            case .timedOut(let isDeadline):
                if let timedOut = budget.timedOut { return Int(fail(timedOut)) }
                return Int(timeout("sending to", isDeadline: isDeadline, limit: budget.timeouts.stall))
            case .failed(let message):
                return Int(fail("cannot send to \(endpoint): \(message)"))
            }
        }
        return sent
    }

    func close() {
        budget.untrack(self)
        lock.withLock {
            guard !closed else { return }
            closed = true
            if descriptor.pointee >= 0 {
                Glibc.close(descriptor.pointee)
                descriptor.pointee = -1
            }
        }
    }
}
