import Foundation
import SluiceCore
import SluiceHTTP
import SluiceTestSupport
import Testing

/// The `sluice-runtime` agent (docs/runtime.md, "Idle memory"): it serves the runtime's API and
/// maps no Foundation, ICU or FoundationInternationalization; `sluice runtime serve` runs it when
/// it is installed beside `sluice`.
@Suite("runtime agent")
struct RuntimeAgentTests {
    /// Where `swift build` put the binaries, symbolic links resolved (as /proc/<pid>/exe shows them).
    static let productsDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().resolvingSymlinksInPath()
    static let foundationLibraries = ["libFoundation.so", "lib_FoundationICU.so", "libFoundationInternationalization.so"]
    /// libcurl and the TLS libraries it brings: opened on the agent's first HTTP request, not at start.
    static let httpLibraryPrefixes = ["libcurl.", "libcurl-", "libssl.", "libcrypto.", "libgnutls."]

    /// The mapped libraries of `names` that belong to libcurl (itself and its TLS libraries).
    static func httpLibraries(_ names: Set<String>) -> [String] {
        names.filter { name in httpLibraryPrefixes.contains { name.hasPrefix($0) } }.sorted()
    }

    struct Served {
        let process: SpawnedProcess
        let port: UInt16
        let token: String
    }

    /// Starts `binary arguments... serve` on a free port with a fresh token and state directory;
    /// Flink is not needed until something is deployed.
    static func serve(_ binary: String, _ leading: [String], in work: TemporaryDirectory, env: [String: String] = [:],
                      trailing: [String] = []) async throws -> Served {
        let token = "agent-\(UUID().uuidString)"
        let tokenFile = work.url.appendingPathComponent("token")
        try Data(token.utf8).write(to: tokenFile)
        let port = try freePort()
        let process = try SpawnedProcess(binary, leading + ["serve", "--listen", "127.0.0.1:\(port)", "--token-file", tokenFile.path,
                                                            "--cluster", "agent-test", "--state-dir", work.url.appendingPathComponent("state").path] + trailing,
                                         env: ["FLINK_HOME": work.url.appendingPathComponent("flink").path].merging(env) { $1 },
                                         stderrPath: work.url.appendingPathComponent("serve.log").path)
        let listening = await eventually(timeout: .seconds(30)) { isListening(port: port) }
        if !listening { process.stop() }
        try #require(listening, "\((try? String(contentsOf: work.url.appendingPathComponent("serve.log"), encoding: .utf8)) ?? "")")
        return Served(process: process, port: port, token: token)
    }

    static func executable(of pid: pid_t) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
    }

    @Test("sluice-runtime serves the runtime API and maps no Foundation, ICU or FoundationInternationalization")
    func agentIsFoundationFree() async throws {
        let work = try TemporaryDirectory(prefix: "sluice-agent")
        let served = try await Self.serve(Self.productsDirectory.appendingPathComponent("sluice-runtime").path, [], in: work)
        defer { served.process.stop() }
        let base = URL(string: "http://127.0.0.1:\(served.port)")!

        let health = try await HTTPClient().send(HTTPRequest(.GET, base.appendingPathComponent("healthz")))
        #expect(health.status == 200)
        let anonymous = try await HTTPClient().send(HTTPRequest(.GET, base.appendingPathComponent("v1/objects")))
        #expect(anonymous.status == 401)
        let authorized = HTTPClient(configuration: .init(bearerToken: served.token))
        let objects = try await authorized.send(HTTPRequest(.GET, base.appendingPathComponent("v1/objects")))
        #expect(objects.status == 200)
        #expect(String(decoding: objects.body, as: UTF8.self) == "[]")
        let processes = try await authorized.send(HTTPRequest(.GET, base.appendingPathComponent("v1/processes")))
        #expect(processes.status == 200)

        let mapped = try #require(ProcessMaps.mappedFiles(of: served.process.pid))
        let names = Set(mapped.map { URL(fileURLWithPath: $0).lastPathComponent })
        // The listing was read whole: the stack is listed after every library.
        #expect(mapped.contains("[stack]"))
        #expect(names.contains("libFoundationEssentials.so"))
        for library in Self.foundationLibraries {
            #expect(!names.contains(library), "sluice-runtime maps \(library)")
        }
        #expect(!names.contains { $0.hasPrefix("libgit2") }, "sluice-runtime maps libgit2")
        // Serving its API makes no HTTP request of its own: libcurl is not loaded yet.
        #expect(Self.httpLibraries(names).isEmpty, "the idle sluice-runtime maps \(Self.httpLibraries(names))")
    }

    @Test("sluice runtime serve hands over to the sluice-runtime beside it; SLUICE_RUNTIME_IN_PROCESS=1 keeps it in sluice")
    func sluiceExecsTheAgent() async throws {
        let sluice = Self.productsDirectory.appendingPathComponent("sluice").path
        let agent = Self.productsDirectory.appendingPathComponent("sluice-runtime").path

        let work = try TemporaryDirectory(prefix: "sluice-agent-exec")
        let handedOver = try await Self.serve(sluice, ["runtime"], in: work)
        defer { handedOver.process.stop() }
        #expect(Self.executable(of: handedOver.process.pid) == agent)
        let names = try #require(ProcessMaps.mappedNames(of: handedOver.process.pid))
        #expect(!names.contains("libFoundation.so"))
        let answer = try await HTTPClient(configuration: .init(bearerToken: handedOver.token))
            .send(HTTPRequest(.GET, URL(string: "http://127.0.0.1:\(handedOver.port)/v1/objects")!))
        #expect(answer.status == 200)

        let inProcessWork = try TemporaryDirectory(prefix: "sluice-agent-inprocess")
        let inProcess = try await Self.serve(sluice, ["runtime"], in: inProcessWork, env: ["SLUICE_RUNTIME_IN_PROCESS": "1"])
        defer { inProcess.process.stop() }
        #expect(Self.executable(of: inProcess.process.pid) == sluice)
    }
}
