import Foundation
import SluiceCore
import SluiceYAML

/// A kubeconfig `users[].user.exec` block: a command that prints an `ExecCredential`
/// (client.authentication.k8s.io), as cloud providers' CLIs do (aws, gke-gcloud-auth-plugin, kubelogin).
public struct ExecConfig: Sendable, Hashable {
    public var apiVersion: String
    public var command: String
    public var args: [String]
    public var env: [String: String]
    public var installHint: String?

    init(_ value: Value, file: String) throws {
        guard let command = value["command"]?.stringValue else {
            throw KubernetesConfigError("exec credential plugin in \(file) has no command", location: value.location,
                                        hint: "add users[].user.exec.command")
        }
        self.command = command
        apiVersion = value["apiVersion"]?.stringValue ?? "client.authentication.k8s.io/v1"
        args = (value["args"]?.listValue ?? []).compactMap(\.stringValue)
        var env: [String: String] = [:]
        for item in value["env"]?.listValue ?? [] {
            if let name = item["name"]?.stringValue, let v = item["value"]?.stringValue { env[name] = v }
        }
        self.env = env
        installHint = value["installHint"]?.stringValue
    }

    public init(apiVersion: String = "client.authentication.k8s.io/v1", command: String, args: [String] = [], env: [String: String] = [:]) {
        self.apiVersion = apiVersion
        self.command = command
        self.args = args
        self.env = env
        installHint = nil
    }
}

/// What an exec plugin returned: a token, or a client certificate and key.
public struct ExecCredential: Sendable, Hashable {
    public var token: String?
    public var clientCertificateData: String?
    public var clientKeyData: String?
    public var expiration: Date?
}

/// Runs exec credential plugins and caches each credential until it expires (or until told it
/// was rejected), so a sync does not start a plugin for every request.
public actor ExecCredentialCache {
    public static let shared = ExecCredentialCache()

    private var cache: [ExecConfig: ExecCredential] = [:]
    private var inFlight: [ExecConfig: Task<ExecCredential, any Error>] = [:]
    /// How many times each plugin actually ran; visible to tests and diagnostics.
    public private(set) var runs: [String: Int] = [:]

    public init() {}

    /// A credential that is valid for at least `margin` more seconds.
    public func credential(for config: ExecConfig, margin: TimeInterval = 30, now: Date = Date()) async throws -> ExecCredential {
        if let cached = cache[config], cached.expiration.map({ $0.timeIntervalSince(now) > margin }) ?? true {
            return cached
        }
        // Requests that need the credential while the plugin runs wait for that one run.
        if let running = inFlight[config] { return try await running.value }
        // A plugin may take seconds (a cloud CLI refreshing a token): it must not hold a pool thread.
        let run = Task { try await onDedicatedThread("sluice-exec-credential") { try Self.run(config) } }
        inFlight[config] = run
        defer { inFlight[config] = nil }
        let fresh = try await run.value
        runs[config.command, default: 0] += 1
        cache[config] = fresh
        return fresh
    }

    /// Forgets a credential the server rejected (401), so the next request runs the plugin again.
    public func invalidate(_ config: ExecConfig) { cache[config] = nil }

    static func run(_ config: ExecConfig, timeout: TimeInterval = 60) throws -> ExecCredential {
        let process = Process()
        if config.command.contains("/") {
            process.executableURL = URL(fileURLWithPath: config.command)
            process.arguments = config.args
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [config.command] + config.args
        }
        var environment = ProcessInfo.processInfo.environment.merging(config.env) { $1 }
        environment["KUBERNETES_EXEC_INFO"] = #"{"apiVersion":"\#(config.apiVersion)","kind":"ExecCredential","spec":{"interactive":false}}"#
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw KubernetesConfigError("cannot run the exec credential plugin \(config.command): \(error.localizedDescription)",
                                        hint: config.installHint ?? "install \(config.command) or fix users[].user.exec.command")
        }
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        guard process.terminationStatus == 0 else {
            // The plugin's stderr explains the failure; its stdout might hold a partial secret, so it is never shown.
            let reason = String(decoding: stderr.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw KubernetesConfigError("the exec credential plugin \(config.command) failed (exit \(process.terminationStatus)): \(reason)",
                                        hint: config.installHint ?? "run the plugin by hand to see what it needs (a login, a profile)")
        }
        let document: Value
        do {
            document = try JSON.decode([UInt8](stdout), file: config.command)
        } catch {
            throw KubernetesConfigError("the exec credential plugin \(config.command) did not print an ExecCredential as JSON",
                                        hint: "check the plugin's apiVersion (\(config.apiVersion))")
        }
        guard document["kind"]?.stringValue == "ExecCredential", let status = document["status"] else {
            throw KubernetesConfigError("the exec credential plugin \(config.command) printed no ExecCredential status",
                                        hint: "the output needs kind: ExecCredential and a status with a token or a client certificate")
        }
        let credential = ExecCredential(
            token: status["token"]?.stringValue, clientCertificateData: status["clientCertificateData"]?.stringValue,
            clientKeyData: status["clientKeyData"]?.stringValue,
            expiration: status["expirationTimestamp"]?.stringValue.flatMap { ISO8601DateFormatter().date(from: $0) })
        guard credential.token != nil || (credential.clientCertificateData != nil && credential.clientKeyData != nil) else {
            throw KubernetesConfigError("the exec credential plugin \(config.command) returned neither a token nor a client certificate and key")
        }
        return credential
    }
}
