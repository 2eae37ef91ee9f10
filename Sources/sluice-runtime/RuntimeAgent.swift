import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import SluiceCore
import SluiceRuntime

/// `sluice-runtime`: the bundled runtime's agent for edge hosts. It serves the same API and
/// supervises the same processes as `sluice runtime serve` (which runs this binary when it sits
/// beside `sluice`), but links only the runtime: no Git, no Kubernetes driver, no policies, and no
/// Foundation, ICU or FoundationInternationalization: about a quarter less resident memory
/// (docs/runtime.md, "Idle memory").
@main
struct RuntimeAgent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice-runtime",
        abstract: "The Sluice runtime's agent for edge hosts: serve the runtime's API and supervise its Flink processes.",
        discussion: """
            `sluice-runtime serve` is `sluice runtime serve` in a small binary: the same flags, the \
            same API, the same state directory. `sluice runtime serve` runs it when it is installed \
            beside `sluice`; `sluice runtime status` and `sluice runtime down` stay in `sluice`.

            Examples:
              sluice-runtime serve --listen 0.0.0.0:7443 \\
                --token-file /etc/sluice/runtime-token --cluster edge-munich-1
            """,
        subcommands: [Serve.self]
    )

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Serve the runtime's HTTP API (bearer-token auth) and supervise its processes.")

        @Option(name: .long, help: ArgumentHelp("The runtime's state directory (default: the Cluster's spec.runtime.stateDirectory as last used by sync, else <state dir>/runtime/<cluster>).", valueName: "dir"))
        var runtimeDir: String?

        @Option(name: .long, help: ArgumentHelp("The Cluster this runtime is (names its journal records).", valueName: "name"))
        var cluster: String = "local"

        @Option(name: .long, help: ArgumentHelp("Sluice's state directory (default: $SLUICE_STATE_DIR or ~/.local/state/sluice).", valueName: "dir"))
        var stateDir: String?

        @Option(name: .long, help: ArgumentHelp("Address and port to listen on (port 0 to 65535).", valueName: "host:port"))
        var listen: String = "127.0.0.1:7443"

        @Option(name: .long, help: ArgumentHelp("File holding the bearer token clients must send (never pass the token itself).", valueName: "file"))
        var tokenFile: String

        func validate() throws { _ = try Self.listenAddress(listen) }

        func run() async throws {
            guard let token = SecretReference.file(tokenFile).read() else {
                Self.err("error: the token file \(tokenFile) is missing or empty\n  hint: write a long random token there, e.g. `openssl rand -hex 32 > \(tokenFile)`\n")
                throw ExitCode(2)
            }
            let address = try Self.listenAddress(listen)
            let runtime: FlinkRuntime
            do {
                let stateDirectory = StateDirectory.resolve(stateDir)
                let journal = try Journal(directory: stateDirectory)
                let directory = runtimeDir.map { URL(fileURLWithPath: $0) } ?? RuntimeLocation.resolve(stateDirectory: stateDirectory, cluster: cluster)
                var configuration = RuntimeConfiguration(flinkHome: try RuntimeLocation.flinkHome(), stateDirectory: directory)
                configuration.buildsClassDataArchives = true
                runtime = try FlinkRuntime(cluster: cluster, configuration: configuration, journal: journal)
            } catch {
                Self.err("error: \(error)\n")
                throw ExitCode(2)
            }
            Self.err("sluice runtime: adopting or restarting what the runtime ran before\n")
            for line in await runtime.recoverLostJobs() { Self.err("  \(line)\n") }
            try await RuntimeServer(runtime: runtime, token: token).run(host: address.host, port: address.port) { bound in
                Self.err("sluice runtime: listening on \(address.host):\(bound)\n")
            }
            await runtime.supervisor.shutdown(leaveRunning: true)
        }

        /// `host:port` with a port of 0 to 65535, as `sluice runtime serve` reads `--listen`.
        static func listenAddress(_ text: String) throws -> (host: String, port: Int) {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]) else {
                throw ValidationError("--listen \(text) is not host:port, e.g. 127.0.0.1:8080")
            }
            guard (0...65_535).contains(port) else {
                throw ValidationError("--listen port \(port) is out of range: it must be between 0 and 65535")
            }
            return (String(parts[0]), port)
        }

        static func err(_ text: String) {
            var bytes = Array(text.utf8)[...]
            while !bytes.isEmpty {
                let written = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return }
                bytes = bytes.dropFirst(written)
            }
        }
    }
}
