import Foundation
import SluiceCore

/// Everything the status API reads besides the loop itself: the job readings, the round history,
/// the event streams and the forge for commit links. One per server.
final class StatusFeed: Sendable {
    let loop: ReconcileLoop
    let journal: Journal?
    let board: JobStatusBoard
    let rounds: RoundHistory
    let events: StatusEvents
    let forgeURL: String?
    /// How often the event producer looks for a changed status, and how often it sends a heartbeat.
    let pollInterval: Duration
    let heartbeatInterval: Duration
    private let producer = ProducerState()

    init(loop: ReconcileLoop, journal: Journal?, forgeURL: String?, maxSubscribers: Int = StatusEvents.defaultMaxSubscribers,
         pollInterval: Duration = .seconds(1), heartbeatInterval: Duration = .seconds(15)) {
        self.loop = loop
        self.journal = journal
        self.forgeURL = forgeURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        board = JobStatusBoard(loop: loop, journal: journal)
        rounds = RoundHistory(forgeURL: self.forgeURL)
        events = StatusEvents(maxSubscribers: maxSubscribers)
        self.pollInterval = pollInterval
        self.heartbeatInterval = heartbeatInterval
    }

    /// The status document now, with the job readings as last taken (a stale reading is renewed
    /// in the background, never waited for).
    func document(now: Date = Date()) async -> StatusDocument {
        let snapshot = await loop.snapshot()
        var document = StatusDocument(snapshot)
        await board.refreshIfStale()
        document.addDetails(plan: snapshot.round?.plan, reading: await board.reading, forgeURL: forgeURL, now: now)
        return document
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// One line of JSON for an event.
    static func line(_ value: some Encodable) -> String {
        (try? encoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// The status now, and a fingerprint of it without the parts that change by themselves with
    /// time (checkpoint ages), to tell a real change without sending one every second.
    func statusNow() async -> (document: StatusDocument, fingerprint: String) {
        let document = await document()
        var still = document
        for cluster in still.clusters.indices {
            for object in still.clusters[cluster].objects.indices {
                still.clusters[cluster].objects[object].job?.lastCheckpoint?.ageSeconds = 0
            }
        }
        return (document, Self.line(still))
    }

    /// Registers what the feed learns from each round: its history entry, a new job reading, a
    /// `round` event and the new status.
    func follow() async {
        await loop.observe { [self] round in
            let entry = await rounds.record(round)
            events.publish(.init(name: "round", data: Self.line(entry)))
            // Not awaited: a round never waits for the status readings.
            Task { [self] in
                await board.refresh()
                await publishIfChanged()
            }
        }
    }

    /// Publishes the status when it differs from the last one published.
    func publishIfChanged() async {
        guard events.subscriberCount > 0 else { return }
        let status = await statusNow()
        if await producer.changed(status.fingerprint) { events.publish(.init(name: "status", data: Self.line(status.document))) }
    }

    /// Runs while streams are open: looks for a changed status every `pollInterval`, sends a
    /// heartbeat every `heartbeatInterval`. Started by the first stream; ends with the last.
    func ensureProducer() async {
        guard await producer.start() else { return }
        Task { [self] in
            var lastBeat = ContinuousClock.now
            while events.subscriberCount > 0 {
                await publishIfChanged()
                if ContinuousClock.now - lastBeat >= heartbeatInterval {
                    events.publish(.init(name: nil, data: "heartbeat"))
                    lastBeat = .now
                }
                try? await Task.sleep(for: pollInterval)
            }
            await producer.stop()
            // A stream opened between the last look and the stop needs a producer of its own.
            if events.subscriberCount > 0 { await ensureProducer() }
        }
    }

    /// Whether the producer runs, and the last status it sent.
    actor ProducerState {
        private var running = false
        private var last: String?

        func start() -> Bool {
            guard !running else { return false }
            running = true
            return true
        }

        func stop() {
            running = false
            last = nil
        }

        func changed(_ fingerprint: String) -> Bool {
            guard fingerprint != last else { return false }
            last = fingerprint
            return true
        }
    }
}
