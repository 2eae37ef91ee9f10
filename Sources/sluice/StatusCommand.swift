import ArgumentParser
import Foundation
import SluiceCore
import SluiceReport
import SluiceStatusClient

/// `sluice status` (alias `sluice get`): what a running `sluice serve` is doing, and its actions.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what a running `sluice serve` syncs, per cluster and per job; sync now, pin a revision, take a savepoint.",
        discussion: """
            Reads the status API of a `sluice serve` (--server, default $SLUICE_SERVER or \
            http://127.0.0.1:8080, serve's default --listen). The token comes from an environment \
            variable, never from the command line: $SLUICE_API_TOKEN (the operator token; needed \
            for the actions), else $SLUICE_API_READ_TOKEN; --token-env names another variable.

            Per cluster: sync state, health, revision, wave. Per object: sync state, health, the \
            Flink job's state, the revision it runs, the last operation, checkpoint age and last \
            savepoint. A field the server does not know is printed as "-".

            Examples:
              export SLUICE_API_TOKEN=...   # as given to sluice serve
              sluice status
              sluice get --cluster edge-munich-1 -o json | jq '.clusters[].objects[].job'
              sluice status --watch
              sluice status sync
              sluice status pin 3f2a9c1
              sluice status unpin
              sluice status savepoint edge-munich-1 orders
            """,
        subcommands: [Show.self, Sync.self, Pin.self, Unpin.self, Savepoint.self],
        defaultSubcommand: Show.self,
        aliases: ["get"]
    )

    /// Where the server is and how to authenticate.
    struct Connection: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("The `sluice serve` to read (default: $SLUICE_SERVER, else http://127.0.0.1:8080).", valueName: "url"))
        var server: String?

        @Option(name: .long, help: ArgumentHelp("Environment variable with the API token (default: SLUICE_API_TOKEN, else SLUICE_API_READ_TOKEN).", valueName: "name"))
        var tokenEnv: String?

        static let defaultServer = "http://127.0.0.1:8080"

        func client(timeout: Duration = .seconds(30)) throws -> StatusClient {
            let text = server ?? ProcessInfo.processInfo.environment["SLUICE_SERVER"] ?? Self.defaultServer
            guard text.count <= 2048, let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
                throw StatusClientError(message: "--server \(text) is not an http(s) URL", hint: "e.g. --server http://127.0.0.1:8080")
            }
            let variables = tokenEnv.map { [$0] } ?? ["SLUICE_API_TOKEN", "SLUICE_API_READ_TOKEN"]
            let found = variables.lazy.compactMap { name in SecretReference.environment(name).read().map { (name, $0) } }.first
            if let tokenEnv, found == nil {
                throw StatusClientError(message: "the environment variable \(tokenEnv) (--token-env) is not set", hint: "export \(tokenEnv)=<the API token of sluice serve>")
            }
            return StatusClient(server: url, token: found?.1, tokenSource: found.map { "$\($0.0)" }, timeout: timeout)
        }
    }

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print the status (the default subcommand).",
            discussion: """
                Example:
                  sluice status --watch --cluster edge-munich-1
                """)

        @OptionGroup var connection: Connection

        @Option(name: [.short, .customLong("output")], help: "Output format: text or json (the server's status document; with --watch one line per change).")
        var output: Format = .text

        @Option(name: .long, help: ArgumentHelp("Only this cluster (repeatable).", valueName: "name"))
        var cluster: [String] = []

        @Flag(name: .shortAndLong, help: "Follow the server's event stream and print the status again at every change (redrawn in place on a terminal). Ctrl-C ends it.")
        var watch = false

        func run() async throws {
            do {
                let client = try connection.client()
                if watch {
                    try await follow(client)
                } else {
                    let (json, view) = try await client.status()
                    Console.out(output == .json ? Self.filtered(json, clusters: cluster, pretty: true) : StatusText.render(view, server: client.server, clusters: cluster))
                }
            } catch {
                throw Console.fail(error)
            }
        }

        /// Consecutive stream failures (without an event in between) before `--watch` gives up.
        static let maxReconnects = 5

        private func follow(_ client: StatusClient) async throws {
            let (updates, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1))
            let streaming = Task { () -> StatusClientError? in
                var failures = 0
                while !Task.isCancelled {
                    let received = Received()
                    do {
                        try await client.events { event in
                            guard event.name == "status" else { return }
                            received.set()
                            continuation.yield(event.data)
                        }
                        if received.isSet { failures = 0 }
                        failures += 1
                        Console.err("the event stream ended; reconnecting\n")
                    } catch is CancellationError {
                        break
                    } catch {
                        if received.isSet { failures = 0 }
                        failures += 1
                        guard failures < Self.maxReconnects else {
                            continuation.finish()
                            return error as? StatusClientError ?? StatusClientError(message: "\(error)", hint: nil)
                        }
                        Console.err("\((error as? StatusClientError)?.message ?? "\(error)"); reconnecting in 5 s\n")
                    }
                    try? await Task.sleep(for: .seconds(5))
                }
                continuation.finish()
                return nil
            }
            let terminal = isatty(STDOUT_FILENO) == 1
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            for await data in updates {
                if output == .json {
                    Console.out(Self.filtered(Data(data.utf8), clusters: cluster, pretty: false))
                    continue
                }
                guard let view = try? decoder.decode(StatusView.self, from: Data(data.utf8)) else { continue }
                let text = StatusText.render(view, server: client.server, clusters: cluster)
                // On a terminal the screen is redrawn; into a file or a pipe each status follows the last.
                Console.out(terminal ? "\u{1B}[H\u{1B}[2J" + text : text + "\n")
            }
            if let failure = await streaming.value { throw failure }
        }

        /// The JSON document with only the clusters asked for, one line or indented.
        static func filtered(_ json: Data, clusters: [String], pretty: Bool) -> String {
            guard var document = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else {
                return String(decoding: json, as: UTF8.self) + "\n"
            }
            if !clusters.isEmpty, let all = document["clusters"] as? [[String: Any]] {
                document["clusters"] = all.filter { clusters.contains(($0["name"] as? String) ?? "") }
            }
            let options: JSONSerialization.WritingOptions = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: (try? JSONSerialization.data(withJSONObject: document, options: options)) ?? json, as: UTF8.self) + "\n"
        }

        final class Received: @unchecked Sendable {
            private let lock = NSLock()
            private var value = false
            func set() { lock.withLock { value = true } }
            var isSet: Bool { lock.withLock { value } }
        }
    }

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sync",
            abstract: "Start a sync round now (operator token).",
            discussion: """
                Example:
                  SLUICE_API_TOKEN=... sluice status sync
                """)

        @OptionGroup var connection: Connection

        func run() async throws {
            do { Console.out(try await connection.client().sync() + "\n") } catch { throw Console.fail(error) }
        }
    }

    struct Pin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pin",
            abstract: "Sync this revision instead of the branch head: a rollback (operator token).",
            discussion: """
                The revision (a commit id, tag or branch of the spec repository) is resolved by the \
                server and pinned by its commit id; `sluice status unpin` follows the branch again.

                Example:
                  sluice status pin 3f2a9c1
                """)

        @OptionGroup var connection: Connection

        @Argument(help: ArgumentHelp("A commit id, tag or branch of the spec repository.", valueName: "revision"))
        var revision: String

        func run() async throws {
            do { Console.out(try await connection.client().pin(revision) + "\n") } catch { throw Console.fail(error) }
        }
    }

    struct Unpin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unpin",
            abstract: "Follow the branch head again after a pin (operator token).",
            discussion: """
                Example:
                  sluice status unpin
                """)

        @OptionGroup var connection: Connection

        func run() async throws {
            do { Console.out(try await connection.client().pin(nil) + "\n") } catch { throw Console.fail(error) }
        }
    }

    struct Savepoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "savepoint",
            abstract: "Take a savepoint of one running job now and wait for it (operator token).",
            discussion: """
                On flink and runtime clusters Sluice triggers the savepoint on Flink, journals it and \
                records it as the job's newest savepoint; the job keeps running. On kubernetes \
                clusters the operator takes savepoints: change spec.job.savepointTriggerNonce in Git.

                Example:
                  sluice status savepoint edge-munich-1 orders
                """)

        @OptionGroup var connection: Connection

        @Argument(help: ArgumentHelp("The cluster.", valueName: "cluster"))
        var cluster: String

        @Argument(help: ArgumentHelp("The job: its name, namespace/name, or its full identity.", valueName: "job"))
        var job: String

        static let timeoutRange: ClosedRange<Duration> = .seconds(1) ... .seconds(3600)

        @Option(name: .long, help: ArgumentHelp("How long to wait for Flink to complete it; \(Bounded.describe(timeoutRange)), default 10m.", valueName: "duration"),
                transform: Bounded.duration)
        var timeout: Duration = .seconds(600)

        @Option(name: [.short, .customLong("output")], help: "Output format: text or json.")
        var output: Format = .text

        func validate() throws {
            try Bounded.check(timeout, "--timeout", Self.timeoutRange)
        }

        func run() async throws {
            do {
                let answer = try await connection.client(timeout: timeout + .seconds(30)).savepoint(cluster: cluster, job: job, timeout: timeout + .seconds(30))
                if output == .json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                    Console.out(String(decoding: try encoder.encode(answer), as: UTF8.self) + "\n")
                } else {
                    Console.out("\(answer.object) on \(answer.cluster): \(answer.message)\n")
                }
            } catch {
                throw Console.fail(error)
            }
        }
    }
}

/// The text form of a status: a summary, a table of clusters and a table of objects.
enum StatusText {
    static func render(_ status: StatusView, server: URL, clusters only: [String], now: Date = Date()) -> String {
        let clusters = only.isEmpty ? status.clusters : status.clusters.filter { only.contains($0.name) }
        var out = "Server:      \(server.absoluteString)\n"
        var revision = short(status.revision)
        var notes: [String] = []
        if let good = status.lastGoodRevision, good != status.revision { notes.append("last good \(short(good))") }
        if let pinned = status.pinnedRevision { notes.append("pinned to \(short(pinned))") }
        if !notes.isEmpty { revision += " (\(notes.joined(separator: "; ")))" }
        out += "Revision:    \(revision)\n"
        if let unverified = status.unverified { out += "Unverified:  \(unverified)\n" }
        if let last = status.lastRound {
            out += "Last round:  \(age(last, now: now)) ago (\(status.lastRoundReason ?? "-")): \(status.message ?? "")\n"
        } else {
            out += "Last round:  none has finished yet\n"
        }
        if let progress = status.progress {
            let steps = (progress.clusters ?? []).map { cluster in
                let counts = cluster.total.map { " \(cluster.done ?? 0)/\($0)" } ?? ""
                return "\(cluster.name) \(cluster.state ?? "-")\(counts)"
            }
            out += "In progress: \(progress.phase ?? "-") \(short(progress.revision))\(steps.isEmpty ? "" : ": " + steps.joined(separator: ", "))\n"
        }
        out += "Git:         \(status.gitReachable.map { $0 ? "reachable" : "unreachable" } ?? "-")"
        if status.leader == false { out += "; this replica follows (the leader syncs)" }
        out += "\n"
        guard !clusters.isEmpty else {
            return out + "\nNo clusters yet\(only.isEmpty ? "" : " named \(only.joined(separator: ", "))").\n"
        }
        var clusterRows = [["CLUSTER", "DRIVER", "SYNC", "HEALTH", "REVISION", "WAVE", "MESSAGE"]]
        for cluster in clusters {
            clusterRows.append([cluster.name, cluster.driver ?? "-", cluster.status ?? "-", cluster.health ?? "-", short(cluster.revision),
                                cluster.wave.map(String.init) ?? "-", clip(cluster.message, 70)])
        }
        out += "\n" + TextTable.render(clusterRows)
        var objectRows = [["CLUSTER", "OBJECT", "SYNC", "HEALTH", "JOB", "REVISION", "LAST OPERATION", "CHECKPOINT", "LAST SAVEPOINT"]]
        for cluster in clusters {
            for object in cluster.objects {
                let job = object.job
                let checkpoint = job?.lastCheckpoint.map { "\(age($0.completedAt, now: now)) ago" } ?? "-"
                let savepoint = job?.lastSavepoint.map { point in clip(point.path, 60) + (point.time.map { " (\(age($0, now: now)) ago)" } ?? "") } ?? "-"
                var sync = object.sync ?? "-"
                if let changeClass = object.changeClass { sync += " (\(changeClass))" }
                objectRows.append([cluster.name, name(object.object), sync, object.health ?? "-", job?.state ?? "-", short(object.liveRevision),
                                   clip(object.lastOperation, 50), checkpoint, savepoint])
            }
        }
        if objectRows.count > 1 { out += "\n" + TextTable.render(objectRows) }
        return out
    }

    /// `FlinkDeployment.flink.apache.org ns/name` → `FlinkDeployment ns/name`.
    static func name(_ identity: String) -> String {
        guard let space = identity.firstIndex(of: " ") else { return identity }
        let kind = identity[..<space].split(separator: ".").first.map(String.init) ?? ""
        return kind + identity[space...]
    }

    static func short(_ revision: String?) -> String { revision.map { String($0.prefix(12)) } ?? "-" }

    static func clip(_ text: String?, _ width: Int) -> String {
        guard let text, !text.isEmpty else { return "-" }
        let line = text.replacingOccurrences(of: "\n", with: " ")
        return line.count > width ? String(line.prefix(width - 1)) + "…" : line
    }

    /// `42s`, `5m`, `3h`, `2d`.
    static func age(_ date: Date, now: Date) -> String {
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        switch seconds {
        case ..<120: return "\(seconds)s"
        case ..<7200: return "\(seconds / 60)m"
        case ..<172_800: return "\(seconds / 3600)h"
        default: return "\(seconds / 86400)d"
        }
    }
}
