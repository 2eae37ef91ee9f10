import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import SluiceCore
import SluiceHTTP

/// Turns a job's `jarURI` into a jar file on this host and a jar uploaded to a Flink cluster.
///
/// Jars are kept by content in `directory`; an upload is named after the jar's SHA-256, so a
/// cluster that already has the bytes is not sent them again.
public struct JarStore: Sendable {
    public let directory: URL
    private let http: HTTPClient
    /// The spec repository at the revision being applied, for jar paths inside it.
    private let repository: (any SourceTree)?

    public init(directory: URL, http: HTTPClient, repository: (any SourceTree)? = nil) {
        self.directory = directory
        self.http = http
        self.repository = repository
    }

    /// A jar on this host with its SHA-256.
    public struct LocalJar: Sendable, Equatable {
        public var file: URL
        public var sha256: String
        /// The file name the jar had at its source, shown in Flink's jar list.
        public var name: String
    }

    /// Fetches or finds the jar of `spec`.
    public func resolve(_ spec: JobSpec) async throws -> LocalJar {
        let uri = spec.jarURI
        guard !uri.isEmpty else {
            throw FlinkError("the job has no spec.job.jarURI", hint: "set spec.job.jarURI to a file://, https:// or repository path")
        }
        let jar: LocalJar
        if uri.hasPrefix("local://") {
            throw FlinkError("jarURI \(uri) is a path inside a container image, which only the Kubernetes driver can run",
                             hint: "for flink and runtime clusters, add the annotation \(JobSpec.jarURIAnnotation) with a file://, https:// or repository path to the same jar (an environment patch can add it per tier)")
        } else if uri.hasPrefix("file://") {
            // Only from folders the host allows: a commit must not make Sluice upload any file it can read.
            let path = try HostPathPolicy.shared.check(uri, field: "jarURI", extraRoots: [directory.path])
            guard FileManager.default.fileExists(atPath: path) else {
                throw FlinkError("jar \(uri) does not exist on this host", hint: "build or copy the jar there, or point jarURI at an https:// or repository path")
            }
            jar = try Self.local(URL(fileURLWithPath: path))
        } else if uri.hasPrefix("https://") || uri.hasPrefix("http://") {
            jar = try await download(uri, expecting: spec.jarSHA256)
        } else if uri.contains("://") {
            throw FlinkError("jarURI \(uri) has a scheme Sluice cannot fetch", hint: "use file://, https:// or a path inside the spec repository")
        } else {
            jar = try fromRepository(uri)
        }
        if let expected = spec.jarSHA256, expected != jar.sha256 {
            throw FlinkError("jar \(Self.redacted(uri)) has SHA-256 \(jar.sha256), not the \(expected) its \(JobSpec.jarSHA256Annotation) annotation expects",
                             hint: "publish the intended jar or update the annotation")
        }
        return jar
    }

    /// The id of `jar` on the cluster, uploading it when the cluster does not have it yet.
    public func upload(_ jar: LocalJar, to client: FlinkClient) async throws -> String {
        let uploadName = "sluice-\(jar.sha256.prefix(16))-\(jar.name)"
        if let existing = try await client.jars().first(where: { $0.name == uploadName }) { return existing.id }
        return try await client.uploadJar(jar.file, name: uploadName)
    }

    private func download(_ uri: String, expecting sha256: String?) async throws -> LocalJar {
        guard let url = URL(string: uri) else { throw FlinkError("jarURI \(Self.redacted(uri)) is not a valid URL") }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let name = url.lastPathComponent.isEmpty ? "job.jar" : url.lastPathComponent
        if let sha256 {
            let cached = directory.appendingPathComponent("\(sha256).jar")
            if FileManager.default.fileExists(atPath: cached.path), let jar = try? Self.local(cached, name: name), jar.sha256 == sha256 {
                return jar
            }
        }
        let staging = directory.appendingPathComponent("download-\(UUID().uuidString).jar")
        let result = try await http.download(HTTPRequest(.GET, url), to: staging, maxBytes: 1 << 30)
        guard (200..<300).contains(result.status) else {
            try? FileManager.default.removeItem(at: staging)
            throw FlinkError("downloading jar \(Self.redacted(uri)) answered HTTP \(result.status)", hint: "check the URL and that the artifact exists")
        }
        let final = directory.appendingPathComponent("\(result.sha256).jar")
        try? FileManager.default.removeItem(at: final)
        try FileManager.default.moveItem(at: staging, to: final)
        return LocalJar(file: final, sha256: result.sha256, name: name)
    }

    private func fromRepository(_ path: String) throws -> LocalJar {
        guard let repository else {
            throw FlinkError("jarURI \(path) is a repository path, but no spec repository is available here")
        }
        let relative = path.hasPrefix("/") ? String(path.dropFirst()) : path
        let bytes: [UInt8]
        do { bytes = try repository.read(relative) } catch {
            throw FlinkError("jar \(relative) is not in \(repository.displayName)", hint: "commit the jar at that path or fix spec.job.jarURI")
        }
        let sha256 = SHA256.hash(data: bytes).hexString
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("\(sha256).jar")
        if !FileManager.default.fileExists(atPath: file.path) {
            try Data(bytes).write(to: file, options: .atomic)
        }
        return LocalJar(file: file, sha256: sha256, name: lastPathComponent(of: relative))
    }

    static func local(_ file: URL, name: String? = nil) throws -> LocalJar {
        let data = try Data(contentsOf: file, options: .mappedIfSafe)
        return LocalJar(file: file, sha256: SHA256.hash(data: data).hexString, name: name ?? file.lastPathComponent)
    }


    /// A URL without user info or query, safe for messages.
    public static func redacted(_ uri: String) -> String {
        guard var components = URLComponents(string: uri) else { return uri }
        components.user = nil
        components.password = nil
        components.query = nil
        return components.string ?? uri
    }
}

/// The last component of a relative path, as `NSString.lastPathComponent` reads it (trailing
/// slashes ignored).
private func lastPathComponent(of path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? (path.hasPrefix("/") ? "/" : "")
}
