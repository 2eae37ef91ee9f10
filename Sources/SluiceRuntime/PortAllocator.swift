#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Chooses TCP ports for the JobManager's REST and RPC endpoints.
enum PortAllocator {
    /// A port on `host` the kernel considered free a moment ago.
    static func freePort(host: String) throws -> Int {
        guard let port = bind(host: host, port: 0) else {
            throw RuntimeError(.startFailed, "cannot find a free TCP port on \(host)",
                               hint: "check that \(host) is an address of this host (bindAddress)")
        }
        return port
    }

    /// Whether `port` on `host` can be bound now (with SO_REUSEADDR, as the JVM binds, so connections
    /// of a killed JobManager in TIME_WAIT do not count as taken).
    static func isFree(_ port: Int, host: String) -> Bool { bind(host: host, port: port) != nil }

    private static func bind(host: String, port: Int) -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        let resolved = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, resolved, &address.sin_addr) == 1 else { return nil }
        address.sin_port = UInt16(port).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                Glibc.bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }
}
