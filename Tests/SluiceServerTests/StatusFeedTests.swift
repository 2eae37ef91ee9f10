import Foundation
import SluiceCore
import SluiceGit
import SluiceHTTP
import SluicePipeline
@testable import SluiceServer
import SluiceSpec
import SluiceStatusClient
import SluiceSync
import SluiceTestSupport
import Testing

/// The status API's parts that need no Flink: the event streams (bounds, a change delivered over a
/// real connection), the event-stream parser, the round history, the history filters, the
/// savepoint refusal on kubernetes, and `--forge-url` checked at start.
@Suite("The status API's feed: events, rounds and filters", .serialized)
struct StatusFeedTests {
    @Test("a subscriber that does not read is ended after its queue fills; the others get every event")
    func slowSubscriberDropped() async throws {
        let events = StatusEvents(maxSubscribers: 3)
        let reader = try #require(events.subscribe())
        let sleeper = try #require(events.subscribe())
        let total = StatusEvents.queueLimit + 4
        let seen = Strings()
        let reading = Task { for await event in reader.events { seen.append(event.data) } }
        for index in 0..<total {
            events.publish(.init(name: "status", data: "\(index)"))
            // The reader keeps up: it takes each event before the next.
            #expect(await eventually(timeout: .seconds(10)) { seen.all.count == index + 1 })
        }
        #expect(seen.all == (0..<total).map(String.init), "the reading subscriber got every event in order")
        var buffered: [String] = []
        for await event in sleeper.events { buffered.append(event.data) }
        #expect(buffered == (0..<StatusEvents.queueLimit).map(String.init), "the sleeper kept only its bounded queue, then its stream ended")
        #expect(events.dropped == 1)
        #expect(events.subscriberCount == 1, "only the reader is still subscribed")
        events.unsubscribe(reader.id)
        #expect(events.subscriberCount == 0)
        await reading.value
    }

    @Test("at most maxSubscribers streams at once")
    func boundedSubscribers() {
        let events = StatusEvents(maxSubscribers: 2)
        let first = events.subscribe(), second = events.subscribe()
        #expect(first != nil && second != nil)
        #expect(events.subscribe() == nil, "a third is refused")
        events.unsubscribe(first!.id)
        #expect(events.subscribe() != nil, "a freed slot is taken again")
    }

    @Test("the event-stream parser: named events, comments, CRLF, multi-line data, split chunks, a size bound")
    func parser() throws {
        let parser = ServerSentEventParser(maxEvent: 1000)
        var events: [ServerSentEvent] = []
        for chunk in [": heartbeat\n\n", "event: status\r\nda", "ta: {\"a\":1}\r\n\r\nretry: 5000\n\n", "data: one\ndata: two\n\n", "event: round\rdata: x\r\r"] {
            events += try #require(parser.feed(Data(chunk.utf8)))
        }
        #expect(events == [ServerSentEvent(name: "status", data: #"{"a":1}"#), ServerSentEvent(name: "message", data: "one\ntwo"),
                           ServerSentEvent(name: "round", data: "x")])
        let small = ServerSentEventParser(maxEvent: 10)
        #expect(small.feed(Data("data: 0123456789abcdef".utf8)) == nil)
        #expect(small.overflowed)
    }

    @Test("a round's timeline entry: only the clusters it synced (and held), their times, outcome and journal link; a commit link with --forge-url")
    func roundEntry() throws {
        let started = Date(timeIntervalSince1970: 1_800_000_000)
        var synced = ClusterSyncResult(cluster: "edge", wave: 0, status: .failed, message: "health gate failed", actions: [], durationSeconds: 12.5)
        synced.started = started.addingTimeInterval(2)
        let held = ClusterSyncResult(cluster: "prod", wave: 1, status: .held, message: "held: an earlier wave failed on edge", actions: [])
        var kept = ClusterSyncResult(cluster: "lab", wave: 0, status: .synced, message: "in sync", actions: [], durationSeconds: 3)
        kept.started = started.addingTimeInterval(-600)  // from an earlier round
        let round = ReconcileLoop.Round(started: started, finished: started.addingTimeInterval(20), revision: "3f2a9c1d", gitReachable: true, plan: nil,
                                        synced: SyncReport(revision: "3f2a9c1d", clusters: [synced, held, kept]), outcome: .synced,
                                        message: "edge: failed, prod: held", reason: .webhook, fetchSeconds: 0.1, fetchError: nil)
        let entry = RoundHistory.entry(round, number: 7, forgeURL: "https://github.com/org/specs")
        #expect(entry.number == 7 && entry.reason == "webhook" && entry.outcome == "synced")
        #expect(entry.commitURL == "https://github.com/org/specs/commit/3f2a9c1d")
        #expect(entry.clusters.map(\.name) == ["edge", "prod"], "the cluster kept from an earlier round is not in this round")
        let edge = entry.clusters[0]
        #expect(edge.outcome == "failed" && edge.wave == 0 && edge.started == synced.started)
        #expect(edge.finished == synced.started!.addingTimeInterval(12.5))
        #expect(edge.journal == "/api/v1/history?cluster=edge&since=2027-01-15T08:00:02.000Z&until=2027-01-15T08:00:14.500Z", "\(edge.journal)")
        #expect(entry.clusters[1].outcome == "held" && entry.clusters[1].started == nil && entry.clusters[1].wave == 1)
    }

    @Test("a round's journal link keeps the records written in the cluster's window, to the millisecond: a savepoint taken 0.3 s after it is outside")
    func journalWindowToTheMillisecond() throws {
        let started = Date(timeIntervalSince1970: 1_800_000_000.2504)
        let finished = started.addingTimeInterval(4.1)
        let link = try #require(URLComponents(string: RoundHistory.journalPath(cluster: "local", from: started, to: finished)))
        let value = { (name: String) in link.queryItems?.first { $0.name == name }?.value }
        let filter = try HistoryFilter(cluster: value("cluster"), job: nil, revision: nil, since: value("since"), until: value("until"))
        func record(_ time: Date, _ step: JournalRecord.Step) -> JournalRecord {
            JournalRecord(time: time, cluster: "local", object: "FlinkDeployment streaming/counter", step: step, phase: .outcome)
        }
        // Written and read back as the journal does: times carry milliseconds, rounded.
        func stored(_ record: JournalRecord) -> JournalRecord {
            var copy = record
            copy.time = JournalTime.parse(JournalTime.format(record.time))!
            return copy
        }
        #expect(filter.matches(stored(record(started, .submit))), "the first record, written as the cluster started")
        #expect(filter.matches(stored(record(finished, .healthGate))), "the last record, written as it finished")
        #expect(!filter.matches(stored(record(finished.addingTimeInterval(0.3), .savepoint))), "a savepoint on request right after the round")
        #expect(!filter.matches(stored(record(started.addingTimeInterval(-0.3), .savepoint))), "a record of the round before")
    }

    @Test("the round history keeps the newest rounds, at most its capacity, newest first")
    func roundHistoryBounded() async {
        let history = RoundHistory(capacity: 3, forgeURL: nil)
        for index in 0..<5 {
            let at = Date(timeIntervalSince1970: Double(1_800_000_000 + index))
            await history.record(ReconcileLoop.Round(started: at, finished: at, revision: "r\(index)", gitReachable: true, plan: nil, synced: nil,
                                                     outcome: .unchanged, message: "", reason: .interval, fetchSeconds: 0, fetchError: nil))
        }
        #expect(await history.newest(10).map(\.number) == [5, 4, 3])
        #expect(await history.newest(1).map(\.revision) == ["r4"])
    }

    @Test("history filters: job by name or namespace/name, revision prefix, time window; bad values refused")
    func historyFilter() throws {
        let record = JournalRecord(time: Date(timeIntervalSince1970: 1_800_000_000), cluster: "edge", object: "FlinkDeployment.flink.apache.org streaming/counter",
                                   step: .submit, phase: .outcome, revision: "3F2A9C1D00")
        func matches(job: String? = nil, revision: String? = nil, since: String? = nil, until: String? = nil, cluster: String? = nil) throws -> Bool {
            try HistoryFilter(cluster: cluster, job: job, revision: revision, since: since, until: until).matches(record)
        }
        #expect(try matches(job: "counter") && matches(job: "streaming/counter") && matches(job: record.object))
        #expect(try !matches(job: "count") && !matches(job: "other/counter"))
        #expect(try matches(revision: "3f2a") && !matches(revision: "3f2b"))
        #expect(try matches(since: "2027-01-15T08:00:00Z", until: "2027-01-15T08:00:00Z"))
        #expect(try !matches(since: "2027-01-15T08:00:01Z"))
        #expect(try !matches(cluster: "prod"))
        #expect(throws: (any Error).self) { try HistoryFilter(cluster: nil, job: nil, revision: "3f2", since: nil, until: nil) }
        #expect(throws: (any Error).self) { try HistoryFilter(cluster: nil, job: nil, revision: "main", since: nil, until: nil) }
        #expect(throws: (any Error).self) { try HistoryFilter(cluster: nil, job: nil, revision: nil, since: "yesterday", until: nil) }
        #expect(throws: (any Error).self) { try HistoryFilter(cluster: String(repeating: "x", count: 513), job: nil, revision: nil, since: nil, until: nil) }
    }

    @Test("a savepoint on request is refused on kubernetes clusters (the operator takes them; the nonce belongs in Git)")
    func kubernetesSavepointRefused() throws {
        let cloud = ClusterSpec(name: "cloud", labels: [:], tier: .public, driver: .kubernetes, kubernetes: .init(), flink: nil, runtime: nil,
                                location: SourceLocation(file: "clusters/cloud.yaml", line: 1, column: 1))
        do {
            try SavepointRefusal.check(cloud, job: "orders")
            Issue.record("not refused")
        } catch {
            #expect(error.reason == .operatorManaged)
            #expect(error.hint?.contains("spec.job.savepointTriggerNonce") == true)
        }
        var flink = cloud
        flink.driver = .flink
        #expect(throws: Never.self) { try SavepointRefusal.check(flink, job: "orders") }
    }

    @Test("serve refuses a --forge-url that is not a repository's http(s) page")
    func forgeURLChecked() async throws {
        let bad = try await SluiceBinary.run(["serve", "--repo", ".", "--forge-url", "javascript:alert(1)"])
        #expect(bad.status == 2, "\(bad)")
        #expect(bad.stderr.contains("--forge-url must be the repository's http(s) page"), "\(bad)")
    }

    /// A served loop over a repository without clusters, with a small cap on event streams.
    @Test("events over a real connection: a status at once, a round and a changed status after POST sync, heartbeats; streams beyond the cap get 503")
    func eventsOverHTTP() async throws {
        let fixture = try GitFixtureRepo()
        _ = try fixture.commit("first", files: ["environments/e.yaml": """
            apiVersion: sluice.dev/v1alpha1
            kind: Environment
            metadata: {name: e}
            spec: {namespace: apps, clusters: {matchLabels: {site: none}}, jobs: {matchLabels: {app: none}}}
            """])
        let state = try TemporaryDirectory(prefix: "sluice-events-state")
        let loop = ReconcileLoop(repository: try GitRepository.open(path: fixture.path), pipeline: Pipeline(stateDirectory: state.url),
                                 configuration: .init(revision: "HEAD", interval: .seconds(3600))) { _ in }
        let server = ServiceServer(loop: loop, journal: nil, metrics: SluiceMetrics(), webhooks: nil, tokens: .init(read: "ro", operate: "op"),
                                   maxEventStreams: 2, heartbeatInterval: .seconds(1))
        let serve = try await InProcessServe(loop: loop, server: server)
        defer { serve.cancel() }
        let base = serve.base
        let anonymous = HTTPClient(configuration: .init(retry: .none))
        #expect(await eventually(timeout: .seconds(60)) {
            (try? await anonymous.send(HTTPRequest(.GET, base.appendingPathComponent("readyz"))).status) == 200
        })

        let reader = StatusClient(server: base, token: "ro", tokenSource: "the test")
        let first = EventLog(), second = EventLog()
        let streams = [Task { try await reader.events { first.append($0) } }, Task { try await reader.events { second.append($0) } }]
        defer { streams.forEach { $0.cancel() } }
        #expect(await eventually(timeout: .seconds(30)) { first.named("status").count >= 1 && second.named("status").count >= 1 },
                "each stream starts with the status: \(first.all)")
        let before = try #require(first.named("status").first)

        // A third stream is refused while two are open.
        do {
            try await reader.events { _ in }
            Issue.record("a third stream was accepted")
        } catch let error as StatusClientError {
            #expect(error.message.contains("503") && error.message.contains("event streams are open"), "\(error.message)")
        }

        // A round: its `round` event, then the status with the new round's time.
        let operate = HTTPClient(configuration: .init(bearerToken: "op", retry: .none))
        #expect(try await operate.send(HTTPRequest(.POST, base.appendingPathComponent("api/v1/sync"))).status == 202)
        #expect(await eventually(timeout: .seconds(60)) { first.named("round").contains { $0.data.contains(#""reason":"api""#) } }, "\(first.all)")
        #expect(await eventually(timeout: .seconds(30)) {
            first.named("status").contains { $0.data != before.data && $0.data.contains(#""lastRoundReason":"api""#) }
        }, "a changed status follows the round: \(first.all.suffix(3))")
        // Heartbeats keep the stream open (a comment, not an event: the parser skips it, the bytes arrive).
        let rounds = try JSONDecoder.iso.decode(RoundsDocument.self, from: try await operate.send(HTTPRequest(.GET, base.appendingPathComponent("api/v1/rounds"))).body)
        #expect(rounds.rounds.map(\.reason) == ["api", "start"], "newest first")

        // Closing a stream frees its slot.
        streams[1].cancel()
        #expect(await eventually(timeout: .seconds(30)) { server.eventStreams <= 1 }, "the cancelled stream is gone within a heartbeat")
        let third = EventLog()
        let again = Task { try await reader.events { third.append($0) } }
        defer { again.cancel() }
        #expect(await eventually(timeout: .seconds(30)) { !third.named("status").isEmpty })
        await loop.stop()
    }
}

final class Strings: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ item: String) { lock.withLock { items.append(item) } }
    var all: [String] { lock.withLock { items } }
}

/// Events received by a stream, read from the test.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [ServerSentEvent] = []
    func append(_ event: ServerSentEvent) { lock.withLock { events.append(event) } }
    var all: [ServerSentEvent] { lock.withLock { events } }
    func named(_ name: String) -> [ServerSentEvent] { all.filter { $0.name == name } }
}

extension JSONDecoder {
    static var iso: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
