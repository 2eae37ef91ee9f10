import Foundation
import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

/// Headless Chromium driven through the DevTools protocol over a pipe (`--remote-debugging-pipe`:
/// it reads commands on its descriptor 3 and writes answers and events on its descriptor 4, each
/// message one JSON object ended by a NUL byte). No port, no websocket, nothing another process
/// on the machine can reach.
///
/// Reading happens on a thread of its own and every command waits on a continuation that a
/// timer fails when the browser does not answer in time: nothing blocks Swift's cooperative pool,
/// and no wait is unbounded. The browser runs in its own process group, killed on `close()`.
public final class HeadlessChromium: @unchecked Sendable {
    /// Where Debian installs it (`scripts/install-deps.sh` adds the `chromium` package).
    public static var executable: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: FileManager.default.isExecutableFile(atPath:))
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    public let pid: pid_t
    private let commands: Int32
    private let answers: Int32
    private let profile: TemporaryDirectory
    private let lock = NSLock()
    private var nextID = 0
    private var waiting: [Int: CheckedContinuation<Data, any Error>] = [:]
    private var ended = false
    private var reaped = false

    /// Starts the browser with an empty profile; its own output goes to `logPath`.
    public init(executable: String, logPath: String = "/dev/null") throws {
        profile = try TemporaryDirectory(prefix: "sluice-chromium")
        // Parent ends close on exec; the child's ends are moved to 3 and 4 by the spawn actions.
        var toBrowser: [Int32] = [0, 0], fromBrowser: [Int32] = [0, 0]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else { throw Failure("pipe: \(String(cString: strerror(errno)))") }
        // Above 10, so that dup2 onto 3 and 4 never meets a descriptor already there.
        func high(_ fd: Int32) -> Int32 { let moved = fcntl(fd, F_DUPFD_CLOEXEC, 10); Glibc.close(fd); return moved }
        let childReads = high(toBrowser[0]), parentWrites = high(toBrowser[1])
        let parentReads = high(fromBrowser[0]), childWrites = high(fromBrowser[1])
        defer { Glibc.close(childReads); Glibc.close(childWrites) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_adddup2(&actions, childReads, 3)
        posix_spawn_file_actions_adddup2(&actions, childWrites, 4)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t(), allSignals = sigset_t()
        sigemptyset(&emptyMask)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let arguments = [executable, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                         "--user-data-dir=\(profile.path)", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                         "--disable-background-networking", "--disable-sync", "--hide-scrollbars", "--mute-audio", "about:blank"]
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let code = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard code == 0 else {
            Glibc.close(parentWrites)
            Glibc.close(parentReads)
            throw Failure("cannot start \(executable): \(String(cString: strerror(code)))")
        }
        pid = child
        commands = parentWrites
        answers = parentReads
        let reader = Thread { [self] in readAnswers() }
        reader.name = "chromium-devtools-reader"
        reader.start()
    }

    deinit { close() }

    /// Ends the browser (and everything it started) and releases the pipes.
    public func close() {
        lock.lock()
        let first = !reaped
        reaped = true
        lock.unlock()
        guard first else { return }
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        Glibc.close(commands)
        failAll("the browser was closed")
    }

    /// Sends one DevTools command (to the page of `session`, or to the browser) and returns its
    /// `result` as JSON; fails when the browser answers an error or does not answer within `timeout`.
    public func send(_ method: String, _ parameters: [String: Any] = [:], session: String? = nil,
                     timeout: Duration = .seconds(30)) async throws -> [String: Any] {
        let id = lock.withLock { nextID += 1; return nextID }
        var message: [String: Any] = ["id": id, "method": method, "params": parameters]
        if let session { message["sessionId"] = session }
        let bytes = try JSONSerialization.data(withJSONObject: message) + [0]
        let answer: Data = try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            if ended {
                lock.unlock()
                continuation.resume(throwing: Failure("\(method): the browser is gone"))
                return
            }
            waiting[id] = continuation
            lock.unlock()
            // Messages are small and the browser reads them at once; a full pipe would be a browser
            // that hangs, which the timeout below reports.
            let written = bytes.withUnsafeBytes { raw -> Bool in
                var offset = 0
                while offset < raw.count {
                    let n = write(commands, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return false }
                    offset += n
                }
                return true
            }
            if !written { fail(id, "\(method): cannot write to the browser") }
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [weak self] in
                self?.fail(id, "\(method): no answer within \(seconds) s")
            }
        }
        guard let object = try JSONSerialization.jsonObject(with: answer) as? [String: Any] else { throw Failure("\(method): not a JSON object") }
        if let error = object["error"] as? [String: Any] {
            throw Failure("\(method): \(error["message"] as? String ?? "error") \(error["data"] as? String ?? "")")
        }
        return object["result"] as? [String: Any] ?? [:]
    }

    /// A new tab of `width` × `height` CSS pixels (`mobile`: as a phone, which honours the
    /// page's viewport meta tag and touch sizing).
    public func newPage(width: Int, height: Int, mobile: Bool = false) async throws -> Page {
        let target = try await send("Target.createTarget", ["url": "about:blank"])
        guard let targetID = target["targetId"] as? String else { throw Failure("Target.createTarget: no targetId") }
        let attached = try await send("Target.attachToTarget", ["targetId": targetID, "flatten": true])
        guard let session = attached["sessionId"] as? String else { throw Failure("Target.attachToTarget: no sessionId") }
        let page = Page(browser: self, session: session)
        _ = try await page.send("Page.enable")
        _ = try await page.send("Runtime.enable")
        _ = try await page.send("Emulation.setDeviceMetricsOverride",
                                ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile])
        return page
    }

    /// One tab, attached in flat mode (its commands carry the session id).
    public struct Page: Sendable {
        let browser: HeadlessChromium
        let session: String

        public func send(_ method: String, _ parameters: [String: Any] = [:], timeout: Duration = .seconds(30)) async throws -> [String: Any] {
            try await browser.send(method, parameters, session: session, timeout: timeout)
        }

        /// Runs `source` in every document this tab loads from now on, before the page's own scripts.
        public func beforeEachDocument(_ source: String) async throws {
            _ = try await send("Page.addScriptToEvaluateOnNewDocument", ["source": source])
        }

        public func navigate(_ url: String) async throws {
            let result = try await send("Page.navigate", ["url": url])
            if let error = result["errorText"] as? String { throw Failure("cannot open \(url): \(error)") }
        }

        /// The value of `expression` (awaited when it is a promise), as a string: expressions that
        /// describe the page return `JSON.stringify(...)`. `nil` for `undefined` or `null`.
        public func evaluate(_ expression: String, timeout: Duration = .seconds(30)) async throws -> String? {
            let result = try await send("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true], timeout: timeout)
            if let exception = result["exceptionDetails"] as? [String: Any] {
                let text = (exception["exception"] as? [String: Any])?["description"] as? String ?? exception["text"] as? String ?? "exception"
                throw Failure("evaluating \(expression.prefix(80)): \(text)")
            }
            guard let value = (result["result"] as? [String: Any])?["value"] else { return nil }
            if let text = value as? String { return text }
            if let flag = value as? Bool { return flag ? "true" : "false" }
            if let number = value as? NSNumber { return number.stringValue }
            return String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]), as: UTF8.self)
        }

        /// Polls `condition` (a JavaScript expression) every 100 ms until it is true; false when
        /// `timeout` passes first. An exception counts as false: the document may still be loading.
        public func wait(until condition: String, timeout: Duration) async throws -> Bool {
            let deadline = ContinuousClock.now + timeout
            repeat {
                if (try? await evaluate("String(Boolean(\(condition)))", timeout: .seconds(10))) == "true" { return true }
                try await Task.sleep(for: .milliseconds(100))
            } while ContinuousClock.now < deadline
            return false
        }

        /// Saves a PNG of the whole page (up to `maxHeight` CSS pixels tall) at its current width.
        public func screenshot(to path: String, maxHeight: Int = 8000) async throws {
            let size = try await evaluate("JSON.stringify([document.documentElement.clientWidth, document.documentElement.scrollHeight])") ?? "[0,0]"
            let numbers = (try JSONSerialization.jsonObject(with: Data(size.utf8)) as? [Int]) ?? [0, 0]
            let clip: [String: Any] = ["x": 0, "y": 0, "width": max(1, numbers[0]), "height": min(max(1, numbers[1]), maxHeight), "scale": 1]
            let shot = try await send("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true, "clip": clip], timeout: .seconds(60))
            guard let encoded = shot["data"] as? String, let png = Data(base64Encoded: encoded) else { throw Failure("Page.captureScreenshot: no image") }
            try png.write(to: URL(fileURLWithPath: path))
        }
    }

    // MARK: - The reader thread

    private func readAnswers() {
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = read(answers, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            // Only the new bytes are searched for the end of a message (a screenshot is megabytes).
            var start = 0
            for i in 0..<n where buffer[i] == 0 {
                pending.append(contentsOf: buffer[start..<i])
                deliver(Data(pending))
                pending.removeAll(keepingCapacity: true)
                start = i + 1
            }
            pending.append(contentsOf: buffer[start..<n])
        }
        Glibc.close(answers)
        lock.withLock { ended = true }
        failAll("the browser closed its DevTools pipe")
    }

    /// Hands an answer to the command waiting for it; events (no `id`) are not needed here.
    private func deliver(_ message: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: message) as? [String: Any], let id = object["id"] as? Int else { return }
        let continuation = lock.withLock { waiting.removeValue(forKey: id) }
        continuation?.resume(returning: message)
    }

    private func fail(_ id: Int, _ reason: String) {
        let continuation = lock.withLock { waiting.removeValue(forKey: id) }
        continuation?.resume(throwing: Failure(reason))
    }

    private func failAll(_ reason: String) {
        let all = lock.withLock { () -> [CheckedContinuation<Data, any Error>] in
            ended = true
            defer { waiting.removeAll() }
            return Array(waiting.values)
        }
        for continuation in all { continuation.resume(throwing: Failure(reason)) }
    }
}
