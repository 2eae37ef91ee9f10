import ArgumentParser
import Foundation
import SluiceCore
import SluiceReport
import SluiceRuntime
import SluiceSync

/// `sluice runtime`: the bundled runtime on this host.
struct RuntimeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime",
        abstract: "Run Flink jobs on this host without Kubernetes: serve the runtime's API, show or stop what it runs.",
        discussion: """
            The runtime supervises a JobManager and TaskManagers per FlinkDeployment (or a session \
            cluster for FlinkSessionJobs) as child processes of Sluice, restarts them when they \
            crash, and restarts a job whose JobManager crashed from its latest checkpoint.

            A Cluster with `driver: runtime` and no `runtime.url` is embedded: `sluice sync` runs \
            it in-process and leaves the processes running for the next Sluice to adopt. With \
            `runtime.url` (an edge host), run `sluice runtime serve` there and point the Cluster at it.

            Examples:
              sluice runtime serve --listen 0.0.0.0:7443 \\
                --token-file /etc/sluice/runtime-token
              sluice runtime status
              sluice runtime down
            """,
        subcommands: [Serve.self, Status.self, Down.self]
    )

    struct Options: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("The runtime's state directory (default: the Cluster's spec.runtime.stateDirectory as last used by sync, else <state dir>/runtime/<cluster>).", valueName: "dir"))
        var runtimeDir: String?

        @Option(name: .long, help: ArgumentHelp("The Cluster this runtime is (names its journal records).", valueName: "name"))
        var cluster: String = "local"

        @Option(name: .long, help: ArgumentHelp("Sluice's state directory (default: $SLUICE_STATE_DIR or ~/.local/state/sluice).", valueName: "dir"))
        var stateDir: String?

        var stateDirectory: URL {
            ClusterOptions.stateDirectory(stateDir)
        }

        /// `buildsClassDataArchives`: only a runtime that keeps running builds them (docs/runtime.md, "JVM start").
        func runtime(buildsClassDataArchives: Bool = false) throws -> FlinkRuntime {
            let journal = try Journal(directory: stateDirectory)
            let directory = runtimeDir.map { URL(fileURLWithPath: $0) } ?? RuntimeLocation.resolve(stateDirectory: stateDirectory, cluster: cluster)
            var configuration = RuntimeConfiguration(flinkHome: try RuntimeLocation.flinkHome(), stateDirectory: directory)
            configuration.buildsClassDataArchives = buildsClassDataArchives
            return try FlinkRuntime(cluster: cluster, configuration: configuration, journal: journal)
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the runtime's HTTP API (bearer-token auth) and supervise its processes.",
            discussion: """
                When the `sluice-runtime` agent is installed beside `sluice` (`make release` builds \
                both), this command runs it with the same flags: the same API and state in a smaller \
                process (no Foundation, ICU or Git), the one to run on an edge host. Set SLUICE_RUNTIME_IN_PROCESS=1 \
                to serve from `sluice` itself.
                """
        )

        @OptionGroup var options: Options

        @Option(name: .long, help: ArgumentHelp("Address and port to listen on (port 0 to 65535).", valueName: "host:port"))
        var listen: String = "127.0.0.1:7443"

        func validate() throws { try Bounded.checkListen(listen, "--listen") }

        /// This command's flags for `sluice-runtime serve`, which reads them the same way.
        var agentArguments: [String] {
            var arguments = ["--cluster", options.cluster, "--listen", listen, "--token-file", tokenFile]
            if let runtimeDir = options.runtimeDir { arguments += ["--runtime-dir", runtimeDir] }
            if let stateDir = options.stateDir { arguments += ["--state-dir", stateDir] }
            return arguments
        }

        @Option(name: .long, help: ArgumentHelp("File holding the bearer token clients must send (never pass the token itself).", valueName: "file"))
        var tokenFile: String

        func run() async throws {
            if let agent = RuntimeAgentExec.installedAgent() {
                RuntimeAgentExec.replaceProcess(with: agent, serveArguments: agentArguments)
            }
            guard let token = SecretReference.file(tokenFile).read() else {
                throw Console.fail(RuntimeCLIError(message: "the token file \(tokenFile) is missing or empty", hint: "write a long random token there, e.g. `openssl rand -hex 32 > \(tokenFile)`"))
            }
            let address = try Bounded.listenAddress(listen, "--listen")
            let runtime = try options.runtime(buildsClassDataArchives: true)
            Console.err("sluice runtime: adopting or restarting what the runtime ran before\n")
            for line in await runtime.recoverLostJobs() { Console.err("  \(line)\n") }
            try await RuntimeServer(runtime: runtime, token: token).run(host: address.host, port: address.port) { bound in
                Console.err("sluice runtime: listening on \(address.host):\(bound)\n")
            }
            await runtime.supervisor.shutdown(leaveRunning: true)
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the deployments the runtime supervises.")

        @OptionGroup var options: Options

        @Option(name: .shortAndLong, help: "Output format: text or json.")
        var output: ReportFormat = .text

        func run() async throws {
            let runtime = try options.runtime()
            // An adopted deployment reports `starting` until its first health poll; give it a moment.
            var status = await runtime.supervisor.status()
            for _ in 0..<20 where status.contains(where: { $0.phase == .starting }) {
                try await Task.sleep(for: .milliseconds(500))
                status = await runtime.supervisor.status()
            }
            await runtime.supervisor.shutdown(leaveRunning: true)
            if output == .json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                Console.out(String(decoding: try encoder.encode(status), as: UTF8.self) + "\n")
                return
            }
            var rows = [["DEPLOYMENT", "PHASE", "PROCESSES", "MEMORY", "RESTARTS", "REST", "REASON"]]
            for cluster in status {
                rows.append([cluster.name, cluster.phase.rawValue, String(cluster.processes.filter { $0.pid != nil }.count),
                             "\(cluster.memoryMiB)Mi", String(cluster.restartCount), cluster.restURL?.absoluteString ?? "-", cluster.reason ?? ""])
            }
            Console.out(status.isEmpty ? "the runtime runs nothing\n" : TextTable.render(rows))
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop every process the runtime supervises (jobs are not savepointed; use sync to suspend them).")

        @OptionGroup var options: Options

        func run() async throws {
            let runtime = try options.runtime()
            let names = await runtime.supervisor.status().map(\.name)
            await runtime.supervisor.shutdown(leaveRunning: false)
            Console.out(names.isEmpty ? "nothing was running\n" : "stopped \(names.joined(separator: ", "))\n")
        }
    }
}

struct RuntimeCLIError: SluiceError {
    var message: String
    var hint: String?
}
