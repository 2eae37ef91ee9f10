import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore
import SluiceRuntime

/// The flags that name a runtime. `sluice runtime …` and the `sluice-runtime` agent share them
/// because `sluice runtime serve` hands its flags to the agent, which must read them alike.
public struct RuntimeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The runtime's state directory (default: the Cluster's spec.runtime.stateDirectory as last used by sync, else <state dir>/runtime/<cluster>).", valueName: "dir"))
    public var runtimeDir: String?

    @Option(name: .long, help: ArgumentHelp("The Cluster this runtime is (names its journal records).", valueName: "name"))
    public var cluster: String = "local"

    @Option(name: .long, help: ArgumentHelp("Sluice's state directory (default: $SLUICE_STATE_DIR or ~/.local/state/sluice).", valueName: "dir"))
    public var stateDir: String?

    public init() {}

    public var stateDirectory: URL { StateDirectory.resolve(stateDir) }

    /// `buildsClassDataArchives`: only a runtime that keeps running builds them (docs/runtime.md, "JVM start").
    public func runtime(buildsClassDataArchives: Bool = false) throws -> FlinkRuntime {
        let journal = try Journal(directory: stateDirectory)
        let directory = runtimeDir.map { URL(fileURLWithPath: $0) } ?? RuntimeLocation.resolve(stateDirectory: stateDirectory, cluster: cluster)
        var configuration = RuntimeConfiguration(flinkHome: try RuntimeLocation.flinkHome(), stateDirectory: directory)
        configuration.buildsClassDataArchives = buildsClassDataArchives
        return try FlinkRuntime(cluster: cluster, configuration: configuration, journal: journal)
    }
}

/// The flags of `serve`, in `sluice runtime serve` and in `sluice-runtime serve`.
public struct RuntimeServeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Address and port to listen on (port 0 to 65535).", valueName: "host:port"))
    public var listen: String = "127.0.0.1:7443"

    @Option(name: .long, help: ArgumentHelp("File holding the bearer token clients must send (never pass the token itself).", valueName: "file"))
    public var tokenFile: String

    public init() {}

    public func validate() throws { _ = try listenAddress() }

    /// `--listen` as host and port; the port must be 0 to 65535 (0 lets the system choose).
    public func listenAddress() throws -> (host: String, port: Int) {
        let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]) else {
            throw ValidationError("--listen \(listen) is not host:port, e.g. 127.0.0.1:8080")
        }
        guard (0...65_535).contains(port) else {
            throw ValidationError("--listen port \(port) is out of range: it must be between 0 and 65535")
        }
        return (String(parts[0]), port)
    }

    /// These flags and `runtime`'s, as `sluice-runtime serve` takes them.
    public func agentArguments(_ runtime: RuntimeOptions) -> [String] {
        var arguments = ["--cluster", runtime.cluster, "--listen", listen, "--token-file", tokenFile]
        if let runtimeDir = runtime.runtimeDir { arguments += ["--runtime-dir", runtimeDir] }
        if let stateDir = runtime.stateDir { arguments += ["--state-dir", stateDir] }
        return arguments
    }
}
