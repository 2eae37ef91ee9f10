import Foundation

/// A real smart-HTTP Git server on 127.0.0.1: `git http-backend` run as a CGI program by Python's
/// `http.server`, optionally requiring HTTP basic auth. Stopped when the value is released.
public final class GitHTTPServer: @unchecked Sendable {
    /// The folder whose bare repositories are served at `http://127.0.0.1:<port>/git/<name>`.
    public let projectRoot: TemporaryDirectory
    public let port: UInt16
    private let workspace: TemporaryDirectory
    private let process: SpawnedProcess

    /// With `username` and `password`, every request must carry them as basic auth (else 401).
    public init(username: String? = nil, password: String? = nil) throws {
        let projectRoot = try TemporaryDirectory(prefix: "sluice-http-repos")
        let workspace = try TemporaryDirectory(prefix: "sluice-http-server")
        try workspace.write("server.py", Self.serverScript)
        let backend = try workspace.write("cgi-bin/git", "#!/bin/sh\nexec /usr/lib/git-core/git-http-backend\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: backend.path)
        // Python's CGI handler drops root to `nobody` before running the script, so git would
        // refuse the root-owned repositories as "dubious ownership" without safe.directory.
        var env = ["GIT_PROJECT_ROOT": projectRoot.path, "GIT_HTTP_EXPORT_ALL": "1",
                   "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "safe.directory", "GIT_CONFIG_VALUE_0": "*"]
        if let username, let password {
            env["SLUICE_BASIC_AUTH"] = Data("\(username):\(password)".utf8).base64EncodedString()
        }
        (process, port) = try startListening("git http server") { port in
            try SpawnedProcess("/usr/bin/python3", [workspace.url.appendingPathComponent("server.py").path, String(port)],
                               cwd: workspace.url, env: env,
                               stderrPath: workspace.url.appendingPathComponent("server.log").path)
        }
        self.projectRoot = projectRoot
        self.workspace = workspace
    }

    /// `http://127.0.0.1:<port>/git/<name>`, optionally with user info in the URL.
    public func url(_ name: String, userInfo: String? = nil) -> String {
        "http://\(userInfo.map { "\($0)@" } ?? "")127.0.0.1:\(port)/git/\(name)"
    }

    /// Creates an empty bare repository `name` served over HTTP and returns its path.
    @discardableResult
    public func createBareRepository(_ name: String) throws -> URL {
        try makeBareRepository(projectRoot.url.appendingPathComponent(name))
    }

    deinit { process.stop() }

    /// `/git/...` is rewritten to the CGI script; requests without the expected Authorization get 401.
    private static let serverScript = """
    import os, sys
    from http.server import CGIHTTPRequestHandler, ThreadingHTTPServer

    EXPECTED = os.environ.get("SLUICE_BASIC_AUTH")

    class Handler(CGIHTTPRequestHandler):
        cgi_directories = ["/cgi-bin"]

        def authorized(self):
            if not EXPECTED or self.headers.get("Authorization") == "Basic " + EXPECTED:
                return True
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="sluice-test"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False

        def route(self):
            if self.path.startswith("/git/"):
                self.path = "/cgi-bin/git/" + self.path[len("/git/"):]
            return self.authorized()

        def do_GET(self):
            if self.route():
                super().do_GET()

        def do_POST(self):
            if self.route():
                super().do_POST()

        def log_message(self, format, *args):
            sys.stderr.write(format % args + "\\n")

    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
    """
}
