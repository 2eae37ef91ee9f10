import Foundation
import SluiceCore
import SluiceRuntime
import SluiceTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The exact bytes `sluice runtime serve` answers with: the runtime driver of another Sluice (maybe
/// an older one) parses them. A runtime without deployments, so no Flink process starts.
@Suite("The runtime's answers keep their wire format")
struct RuntimeServerWireFormatTests {
    static let token = "runtime-token"

    @Test("refusals, empty lists, a health answer and a failure, byte for byte")
    func answers() async throws {
        let state = try TemporaryDirectory(prefix: "sluice-runtime-wire")
        let configuration = RuntimeConfiguration(flinkHome: state.url.appendingPathComponent("no-flink"),
                                                 stateDirectory: state.url.appendingPathComponent("runtime"))
        let runtime = try FlinkRuntime(cluster: "wire", configuration: configuration, journal: try Journal(directory: state.url))
        let bound = Port()
        let serving = Task { try await RuntimeServer(runtime: runtime, token: Self.token).run(host: "127.0.0.1", port: 0) { bound.set($0) } }
        defer { serving.cancel() }
        #expect(await eventually(timeout: .seconds(300)) { bound.value != nil })
        let port = try #require(bound.value)

        func expected(_ status: String, _ headers: [String], _ body: String) -> String {
            (["HTTP/1.1 \(status)"] + headers + ["Content-Length: \(body.utf8.count)", "Server: sluice-runtime", "", body]).joined(separator: "\r\n")
        }
        func post(_ path: String, _ body: String, token: String = Self.token) async throws -> String {
            try await Self.answer(port, "POST \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer \(token)\r\n"
                                  + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        }
        let refusal = #"{"message":"missing or wrong bearer token","hint":"send Authorization: Bearer <the runtime's token>"}"#
        #expect(try await Self.answer(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                == expected("200 OK", ["Content-Type: text/plain; charset=utf-8"], "ok\n"))
        #expect(try await Self.answer(port, "GET /v1/objects HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                == expected("401 Unauthorized", ["Content-Type: application/json", "WWW-Authenticate: Bearer"], refusal))
        #expect(try await post("/v1/health", "{}", token: "wrong")
                == expected("401 Unauthorized", ["Content-Type: application/json", "WWW-Authenticate: Bearer"], refusal))
        #expect(try await Self.answer(port, "GET /v1/objects HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer \(Self.token)\r\n\r\n")
                == expected("200 OK", ["Content-Type: application/json"], "[]"))
        let identity = #"{"group":"flink.apache.org","kind":"FlinkDeployment","namespace":"apps","name":"job"}"#
        #expect(try await post("/v1/health", #"{"identity":\#(identity)}"#)
                == expected("200 OK", ["Content-Type: application/json"], #"{"reason":"not applied to wire","status":"missing"}"#))
        #expect(try await post("/v1/apply", #"{"step":"create","identity":\#(identity),"desired":"{not json"}"#)
                == expected("422 Unprocessable Entity", ["Content-Type: application/json"],
                            #"{"hint":"object keys are double-quoted strings","message":"expected a string key, found 'n'"}"#))
        #expect(try await post("/v1/apply", #"{"step":"delete","identity":\#(identity)}"#)
                == expected("200 OK", ["Content-Type: application/json"], #"{"message":"stopped"}"#))
        await runtime.supervisor.shutdown(leaveRunning: false)
    }

    final class Port: @unchecked Sendable {
        private let lock = NSLock()
        private var port: Int?
        func set(_ value: Int) { lock.withLock { port = value } }
        var value: Int? { lock.withLock { port } }
    }

    /// Sends `text` on a fresh connection and returns the answer without its `Date` header; on a
    /// thread of its own, because a blocking read on the cooperative pool (two threads on two
    /// cores) would starve the server under test, whose handlers run on that pool.
    static func answer(_ port: Int, _ text: String) async throws -> String {
        try await onDedicatedThread("sluice-test-http") { try blockingAnswer(port, text) }
    }

    static func blockingAnswer(_ port: Int, _ text: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { throw SubprocessError(description: "cannot connect to 127.0.0.1:\(port)") }
        // Loose: under a loaded machine the first answer can take seconds; the bound only guards a hang.
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = text.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var answer = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while answer.count < 1 << 20 {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            answer += buffer[0..<n]
        }
        return String(decoding: answer, as: UTF8.self)
            .split(separator: "\r\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("Date: ") }.joined(separator: "\r\n")
    }
}
