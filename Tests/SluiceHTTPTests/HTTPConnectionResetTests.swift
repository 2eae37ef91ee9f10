import Foundation
import SluiceHTTP
import Testing

/// A TCP server on 127.0.0.1 that resets every connection it accepts (SO_LINGER 0, then close):
/// what a client sees when the server process dies mid-request.
final class ResettingServer: @unchecked Sendable {
    let port: UInt16
    private let socket: Int32
    private let thread: Thread

    init() throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = UInt16(bigEndian: address.sin_port)
        socket = fd
        thread = Thread {
            for _ in 0..<64 {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }
                // Read what the client sends first, as a server that dies mid-request would.
                var buffer = [UInt8](repeating: 0, count: 4096)
                var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
                setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                _ = recv(client, &buffer, buffer.count, 0)
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                close(client)
            }
        }
        thread.start()
    }

    deinit {
        shutdown(socket, Int32(SHUT_RDWR))
        close(socket)
    }
}

@Suite("A connection reset by the server")
struct HTTPConnectionResetTests {
    @Test("is named a reset connection, for plain HTTP and in the middle of a TLS handshake, not a TLS or CA problem",
          arguments: ["http", "https"])
    func reset(scheme: String) async throws {
        let server = try ResettingServer()
        let client = testClient { $0.retry = RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(5), maxDelay: .milliseconds(10)) }
        let error = await #expect(throws: HTTPError.self) {
            _ = try await client.send(HTTPRequest(.GET, URL(string: "\(scheme)://127.0.0.1:\(server.port)/api/v1/namespaces")!))
        }
        #expect(error?.kind == .connectionReset, "\(String(describing: error))")
        #expect(error?.message.contains("connection was reset by the server") == true, "\(error?.message ?? "")")
        #expect(error?.hint?.contains("CA") == false)
        #expect(error?.attempts == 2, "a GET is retried after a reset")
    }
}
