import Foundation
import SluiceCore
import SluiceFlink
import SluiceHTTP
import SluiceKubernetes
import SluiceRuntime
import SluiceSpec

/// Builds the driver of each cluster from its spec, reading the credentials it references.
/// A cluster whose driver cannot be built is reported with the reason, never silently skipped.
public struct DriverFactory: Sendable {
    /// Sluice's state directory: journal, applied-state stores, jar cache.
    public var stateDirectory: URL
    /// The spec repository at the revision being applied, for jars committed to it.
    public var repository: (any SourceTree)?
    /// How long a savepoint, stop or cancellation may take.
    public var operationTimeout: Duration
    /// Embedded runtimes kept by a long-running service; `nil` makes one per command.
    public var runtimes: RuntimeRegistry?

    public init(stateDirectory: URL, repository: (any SourceTree)? = nil, operationTimeout: Duration = .seconds(600),
                runtimes: RuntimeRegistry? = nil) {
        self.stateDirectory = stateDirectory
        self.repository = repository
        self.operationTimeout = operationTimeout
        self.runtimes = runtimes
    }

    /// The drivers of `clusters`, and the reason for each cluster that has none.
    public func drivers(for clusters: [ClusterSpec], journal: Journal) -> (drivers: [String: any ClusterDriver], unavailable: [String: String]) {
        var drivers: [String: any ClusterDriver] = [:]
        var unavailable: [String: String] = [:]
        for cluster in clusters {
            do {
                drivers[cluster.name] = try driver(for: cluster, journal: journal)
            } catch {
                unavailable[cluster.name] = "\(error)"
            }
        }
        return (drivers, unavailable)
    }

    public func driver(for cluster: ClusterSpec, journal: Journal) throws -> any ClusterDriver {
        switch cluster.driver {
        case .flink:
            guard let connection = cluster.flink, let url = URL(string: connection.url) else {
                throw DriverError(cluster: cluster.name, "has no spec.flink.url", hint: "set spec.flink.url to the REST endpoint of the session cluster")
            }
            var configuration = HTTPClientConfiguration()
            configuration.bearerToken = try Self.token(connection.bearerToken, cluster: cluster.name, hint: "provide the token there (it is never read from Git)")
            if let caFile = connection.caFile {
                configuration.tls.certificateAuthority = .file(try Self.hostPath(caFile, field: "spec.flink.caFile", cluster: cluster.name))
            }
            let http = HTTPClient(configuration: configuration)
            let jars = JarStore(directory: stateDirectory.appendingPathComponent("jars"), http: http, repository: repository)
            let lifecycle = JobLifecycle(cluster: cluster.name, client: FlinkClient(baseURL: url, http: http), journal: journal,
                                         jars: jars, operationTimeout: operationTimeout)
            let store = try AppliedStore(directory: stateDirectory.appendingPathComponent("applied"), cluster: cluster.name)
            return FlinkSessionDriver(cluster: cluster, reconciler: JobReconciler(lifecycle: lifecycle, store: store))
        case .kubernetes:
            let spec = cluster.kubernetes ?? ClusterSpec.KubernetesConnection(kubeconfig: nil, kubeconfigEnv: nil, context: nil, inCluster: false)
            let connection: SluiceKubernetes.KubernetesConnection
            if spec.inCluster {
                connection = try SluiceKubernetes.KubernetesConnection.inCluster()
            } else {
                var paths = KubeConfig.defaultPaths()
                if let variable = spec.kubeconfigEnv {
                    guard let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty else {
                        throw DriverError(cluster: cluster.name, "takes its kubeconfig path from the environment variable \(variable), which is not set",
                                          hint: "export \(variable)=/path/to/kubeconfig (never commit the kubeconfig)")
                    }
                    paths = path.split(separator: ":").map(String.init)
                } else if let path = spec.kubeconfig {
                    paths = [try Self.hostPath(path, field: "spec.kubernetes.kubeconfig", cluster: cluster.name)]
                }
                connection = try KubeConfig.load(paths: paths).connection(context: spec.context)
            }
            let kinds = try AppliedKinds(directory: stateDirectory.appendingPathComponent("kinds"), cluster: cluster.name)
            let cache = try KubernetesLiveCache(directory: stateDirectory.appendingPathComponent("kinds"), cluster: cluster.name)
            return KubernetesDriver(cluster: cluster, client: try KubernetesClient(connection: connection), kinds: kinds, cache: cache)
        case .runtime:
            let connection = cluster.runtime ?? ClusterSpec.RuntimeConnection(url: nil, token: nil, stateDirectory: nil)
            if let address = connection.url {
                guard let url = URL(string: address) else { throw DriverError(cluster: cluster.name, "has an invalid spec.runtime.url \(address)") }
                var configuration = HTTPClientConfiguration()
                configuration.bearerToken = try Self.token(connection.token, cluster: cluster.name,
                                                           hint: "provide the token there (the same one `sluice runtime serve --token-file` reads on the edge host)")
                return RemoteRuntimeDriver(cluster: cluster, baseURL: url, http: HTTPClient(configuration: configuration))
            }
            let make = {
                let directory = try connection.stateDirectory.map {
                    URL(fileURLWithPath: try Self.hostPath($0, field: "spec.runtime.stateDirectory", cluster: cluster.name))
                } ?? RuntimeLocation.directory(stateDirectory: stateDirectory, cluster: cluster.name)
                RuntimeLocation.record(directory, stateDirectory: stateDirectory, cluster: cluster.name)
                return try FlinkRuntime(cluster: cluster.name,
                                        configuration: RuntimeConfiguration(flinkHome: try RuntimeLocation.flinkHome(), stateDirectory: directory),
                                        journal: journal, repository: repository, operationTimeout: operationTimeout)
            }
            if let runtimes {
                return EmbeddedRuntimeDriver(cluster: cluster, runtime: try runtimes.runtime(for: cluster.name, make: make), ownsRuntime: false)
            }
            return EmbeddedRuntimeDriver(cluster: cluster, runtime: try make(), ownsRuntime: true)
        }
    }

    /// The secret behind `reference`; an unset one is an error that names where it was looked for.
    static func token(_ reference: SecretReference?, cluster: String, hint: String) throws -> String? {
        guard let reference else { return nil }
        if case .file(let path) = reference { _ = try hostPath(path, field: "the token file", cluster: cluster) }
        guard let token = reference.read() else {
            throw DriverError(cluster: cluster, "needs a bearer token from \(reference), which is not set", hint: hint)
        }
        return token
    }
}

extension DriverFactory {
    /// `path` (named by a Cluster spec) when it lies under the host's allowed roots.
    static func hostPath(_ path: String, field: String, cluster: String) throws -> String {
        do {
            return try HostPathPolicy.shared.check(path, field: field)
        } catch {
            throw DriverError(cluster: cluster, error.message, hint: error.hint)
        }
    }
}

/// A cluster's driver could not be set up.
public struct DriverError: SluiceError {
    public var message: String
    public var hint: String?

    public init(cluster: String, _ problem: String, hint: String? = nil) {
        message = "cluster \(cluster) \(problem)"
        self.hint = hint
    }
}
