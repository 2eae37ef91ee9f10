import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP server on 127.0.0.1 that accepts every connection and then never answers, or sends
/// `prefix` and then one `filler` byte every `trickle` (a server that stays just fast enough to
/// beat a stall timeout, e.g. an HTTP header that never ends).
/// It holds every connection it accepted until `stop()`.
public final class SilentServer: @unchecked Sendable {
    public let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var connections: [Int32] = []
    private var stopped = false
    private let trickle: Duration?
    private let prefix: [UInt8]
    private let filler: UInt8

    public init(trickle: Duration? = nil, prefix: String = "", filler: Character = "a") throws {
        self.trickle = trickle
        self.prefix = Array(prefix.utf8)
        self.filler = filler.asciiValue ?? 0x61
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SubprocessError(description: "socket() failed") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 64) == 0 else {
            close(fd)
            throw SubprocessError(description: "cannot listen on 127.0.0.1")
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        Thread { [self] in acceptLoop() }.start()
    }

    /// How many connections were accepted so far.
    public var accepted: Int { lock.withLock { connections.count } }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }  // the listener was closed
            let keep = lock.withLock { () -> Bool in
                if stopped { return false }
                connections.append(connection)
                return true
            }
            guard keep else { close(connection); return }
            if let trickle {
                Thread { [self] in
                    defer { close(connection) }
                    var head = prefix
                    if !head.isEmpty, send(connection, &head, head.count, Int32(MSG_NOSIGNAL)) < 0 { return }
                    // Bounded: at most 10 minutes of bytes, and only while the server runs.
                    for _ in 0..<6000 {
                        Thread.sleep(forTimeInterval: Double(trickle.components.seconds) + Double(trickle.components.attoseconds) / 1e18)
                        if lock.withLock({ stopped }) { return }
                        var byte = filler
                        if send(connection, &byte, 1, Int32(MSG_NOSIGNAL)) < 0 { return }
                    }
                }.start()
            }
        }
    }

    /// Closes the listener and every connection, once (a second close could hit a reused descriptor).
    public func stop() {
        let open = lock.withLock { () -> [Int32]? in
            if stopped { return nil }
            stopped = true
            defer { connections = [] }
            return connections
        }
        guard let open else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for connection in open {
            shutdown(connection, Int32(SHUT_RDWR))
            // A trickling connection is closed by its own thread, which may be sending right now.
            if trickle == nil { close(connection) }
        }
    }

    deinit { stop() }
}
