import Foundation
import SluiceCore
import SluiceHTTP

/// A client of a `sluice serve` status API, for `sluice status`: reads the status, streams its
/// events, and asks for the operator's actions. Every failure is a `StatusClientError` that says
/// what to do.
public struct StatusClient: Sendable {
    public let server: URL
    private let http: HTTPClient
    /// Where the token came from, for messages (never the token itself).
    private let tokenSource: String?

    public init(server: URL, token: String?, tokenSource: String?, timeout: Duration = .seconds(30)) {
        self.server = server
        self.tokenSource = tokenSource
        http = HTTPClient(configuration: HTTPClientConfiguration(bearerToken: token, connectTimeout: .seconds(5), timeout: timeout, retry: .none))
    }

    /// `GET /api/v1/status` as the server sent it, and decoded.
    public func status() async throws -> (json: Data, view: StatusView) {
        let response = try await send(HTTPRequest(.GET, url("api/v1/status")))
        return (response.body, try Self.decode(StatusView.self, response.body, from: url("api/v1/status")))
    }

    /// `POST /api/v1/sync`.
    public func sync() async throws -> String {
        try await accepted(HTTPRequest(.POST, url("api/v1/sync")))
    }

    /// `POST /api/v1/rollback`: pins `revision`, or follows the branch again when nil.
    public func pin(_ revision: String?) async throws -> String {
        let body = revision.map { #"{"revision":\#(Self.jsonString($0))}"# } ?? #"{"revision":null}"#
        return try await accepted(HTTPRequest(.POST, url("api/v1/rollback"), body: .data(Data(body.utf8), contentType: "application/json")))
    }

    /// `POST /api/v1/savepoint`; waits (up to `timeout`) for Flink to complete it.
    public func savepoint(cluster: String, job: String, timeout: Duration) async throws -> SavepointAnswer {
        var request = HTTPRequest(.POST, url("api/v1/savepoint"),
                                  body: .data(try JSONEncoder().encode(SavepointRequest(cluster: cluster, job: job)), contentType: "application/json"))
        request.timeout = timeout
        let response = try await send(request)
        return try Self.decode(SavepointAnswer.self, response.body, from: request.url)
    }

    /// Streams `GET /api/v1/events` into `events` until the server ends it, no byte has come for
    /// `stall` (the server sends a heartbeat every 15 s), or the task is cancelled. Each event is
    /// at most `maxEvent` bytes, the stream at most `maxBytes`; past either it ends with an error.
    public func events(stall: Duration = .seconds(45), maxEvent: Int = 64 << 20, maxBytes: Int = 1 << 30,
                       _ receive: @escaping @Sendable (ServerSentEvent) -> Void) async throws {
        let parser = ServerSentEventParser(maxEvent: maxEvent)
        let lastByte = LastByte()
        var stream = HTTPRequest(.GET, url("api/v1/events"), headers: ["Accept": "text/event-stream"])
        // The stream is long; it is ended by the stall watchdog or the caller, not by a timeout.
        stream.timeout = .seconds(24 * 3600)
        let request = stream
        let response: HTTPResponse = try await withThrowingTaskGroup(of: HTTPResponse?.self) { group in
            group.addTask {
                try await send(request) { chunk in
                    lastByte.touch()
                    guard let events = parser.feed(chunk) else { return false }
                    events.forEach(receive)
                    return true
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    if lastByte.idle > stall { return nil }
                }
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            guard let response = first else {
                throw StatusClientError(message: "the event stream of \(server.absoluteString) sent nothing for \(stall) (not even its heartbeat)",
                                        hint: "check the network to the server; sluice status --watch reconnects")
            }
            return response
        }
        if parser.overflowed {
            throw StatusClientError(message: "an event from \(server.absoluteString) is larger than \(maxEvent) bytes", hint: nil)
        }
        _ = response
    }

    // MARK: Plumbing

    private func url(_ path: String) -> URL { server.appendingPathComponent(path) }

    private func accepted(_ request: HTTPRequest) async throws -> String {
        let response = try await send(request)
        let answer = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        return (answer?["accepted"] as? String) ?? "accepted"
    }

    /// Sends, and turns every failure into a message about the server or the token.
    private func send(_ request: HTTPRequest, stream: (@Sendable (Data) -> Bool)? = nil) async throws -> HTTPResponse {
        let response: HTTPResponse
        do {
            if let stream {
                response = try await http.stream(request, maxBytes: 1 << 30, receive: stream)
            } else {
                response = try await http.send(request)
            }
        } catch let error as HTTPError {
            // Not the server's fault: this host lacks the HTTP library, and the hint says which package to install.
            if case .libraryUnavailable = error.kind { throw StatusClientError(message: error.message, hint: error.hint) }
            throw StatusClientError(message: "cannot reach the Sluice server at \(server.absoluteString): \(error.message)",
                                    hint: "start it with `sluice serve`, or point --server (or SLUICE_SERVER) at it")
        }
        switch response.status {
        case 200..<300:
            return response
        case 401:
            throw StatusClientError(message: "the server refused the token\(tokenSource.map { " from \($0)" } ?? " (none was sent)")",
                                    hint: "export SLUICE_API_TOKEN (the operator token) or SLUICE_API_READ_TOKEN with the token `sluice serve` was started with")
        case 403:
            throw StatusClientError(message: "the token\(tokenSource.map { " from \($0)" } ?? "") may only read; this needs the operator token",
                                    hint: "export SLUICE_API_TOKEN with the operator token")
        default:
            let refusal = try? JSONDecoder().decode(APIError.self, from: response.body)
            let text = String(decoding: response.body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw StatusClientError(message: "\(request.method.rawValue) \(request.url.path) answered \(response.status): \(refusal?.error ?? text)",
                                    hint: refusal?.hint)
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: Data, from url: URL) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(type, from: body)
        } catch {
            throw StatusClientError(message: "\(url.absoluteString) did not answer as a Sluice status API: \(error)", hint: "is --server a `sluice serve`?")
        }
    }

    static func jsonString(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }

    /// When the last byte of a stream arrived.
    final class LastByte: @unchecked Sendable {
        private let lock = NSLock()
        private var at = ContinuousClock.now

        func touch() { lock.withLock { at = .now } }
        var idle: Duration { lock.withLock { ContinuousClock.now - at } }
    }
}

/// Why `sluice status` could not do what it was asked.
public struct StatusClientError: SluiceError {
    public var message: String
    public var hint: String?

    public init(message: String, hint: String?) {
        self.message = message
        self.hint = hint
    }
}

/// One server-sent event (`text/event-stream`): its name (`message` when unnamed) and data.
public struct ServerSentEvent: Sendable, Equatable {
    public var name: String
    public var data: String

    public init(name: String, data: String) {
        self.name = name
        self.data = data
    }
}

/// Splits a `text/event-stream` into events as its bytes arrive (WHATWG HTML, "Server-sent
/// events": lines end in LF, CRLF or CR; a blank line ends an event; `:` starts a comment).
/// Bounded: an event longer than `maxEvent` bytes stops the parser.
public final class ServerSentEventParser: @unchecked Sendable {
    public let maxEvent: Int
    private let lock = NSLock()
    private var pending = [UInt8]()
    private var name = ""
    private var data: [String] = []
    private var size = 0
    private var lastWasCR = false
    public private(set) var overflowed = false

    public init(maxEvent: Int) { self.maxEvent = maxEvent }

    /// The events `chunk` completes; nil once an event has grown past `maxEvent`.
    public func feed(_ chunk: Data) -> [ServerSentEvent]? {
        lock.withLock {
            guard !overflowed else { return nil }
            var events: [ServerSentEvent] = []
            for byte in chunk {
                if lastWasCR, byte == 0x0A {
                    lastWasCR = false
                    continue
                }
                lastWasCR = byte == 0x0D
                if byte == 0x0A || byte == 0x0D {
                    if let event = line(String(decoding: pending, as: UTF8.self)) { events.append(event) }
                    pending.removeAll(keepingCapacity: true)
                    continue
                }
                pending.append(byte)
                size += 1
                if size > maxEvent {
                    overflowed = true
                    return nil
                }
            }
            return events
        }
    }

    private func line(_ text: String) -> ServerSentEvent? {
        if text.isEmpty {
            defer { name = ""; data = []; size = 0 }
            guard !data.isEmpty else { return nil }
            return ServerSentEvent(name: name.isEmpty ? "message" : name, data: data.joined(separator: "\n"))
        }
        if text.hasPrefix(":") { return nil }
        let field: Substring, value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            var rest = text[text.index(after: colon)...]
            if rest.hasPrefix(" ") { rest = rest.dropFirst() }
            value = rest
        } else {
            field = Substring(text)
            value = ""
        }
        switch field {
        case "event": name = String(value)
        case "data": data.append(String(value))
        default: break
        }
        return nil
    }
}
