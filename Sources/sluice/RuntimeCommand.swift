import ArgumentParser
import Foundation
import SluiceCore
import SluiceReport
import SluiceRuntime
import SluiceRuntimeOptions
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

    typealias Options = RuntimeOptions

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve the runtime's HTTP API (bearer-token auth) and supervise its processes.",
            discussion: """
                When the `sluice-runtime` agent is installed beside `sluice` (`make release` builds \
                both), this command runs it with the same flags: the same API and state in a smaller \
                process (no Foundation, ICU or Git), the one to run on an edge host. Set SLUICE_RUNTIME_IN_PROCESS=1 \
                to serve from `sluice` itself.
                """
        )

        @OptionGroup var options: Options

        @OptionGroup var serve: RuntimeServeOptions

        func run() async throws {
            if let agent = RuntimeAgentExec.installedAgent() {
                RuntimeAgentExec.replaceProcess(with: agent, serveArguments: serve.agentArguments(options))
            }
            guard let token = SecretReference.file(serve.tokenFile).read() else {
                throw Console.fail(RuntimeCLIError(message: "the token file \(serve.tokenFile) is missing or empty", hint: "write a long random token there, e.g. `openssl rand -hex 32 > \(serve.tokenFile)`"))
            }
            let address = try serve.listenAddress()
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
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the deployments the runtime supervises.")

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
        static let configuration = CommandConfiguration(commandName: "down", abstract: "Stop every process the runtime supervises (jobs are not savepointed; use sync to suspend them).")

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
