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
import SluiceRuntimeOptions

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

        @OptionGroup var options: RuntimeOptions

        @OptionGroup var serve: RuntimeServeOptions

        func run() async throws {
            guard let token = SecretReference.file(serve.tokenFile).read() else {
                Self.err("error: the token file \(serve.tokenFile) is missing or empty\n  hint: write a long random token there, e.g. `openssl rand -hex 32 > \(serve.tokenFile)`\n")
                throw ExitCode(2)
            }
            let address = try serve.listenAddress()
            let runtime: FlinkRuntime
            do {
                runtime = try options.runtime(buildsClassDataArchives: true)
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
