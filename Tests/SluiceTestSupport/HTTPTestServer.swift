import Foundation

/// A real HTTP(S) server on 127.0.0.1 for client tests: Python's `http.server` with a few routes,
/// run as a subprocess on a free port and stopped when the value is released.
///
/// Routes (any method): `/echo` (JSON of method, path, query, headers, body), `/status/<code>`
/// (`?retry_after=`, `?echo_auth=1` puts the Authorization header in the body),
/// `/flaky/<key>?fail=N&code=C&retry_after=R` (fails N times, then 200 with the attempt count),
/// `/count/<key>`, `/bytes/<n>` (`?chunked=1`; header `X-Sha256`), `/sleep/<ms>`, `/upload`
/// (parses multipart/form-data into JSON parts with base64 content). Every response carries
/// `X-Connection-Id`, a number per TCP connection, to observe keep-alive.
public final class HTTPTestServer: @unchecked Sendable {
    public let port: UInt16
    public let isTLS: Bool
    private let process: SpawnedProcess
    private let workspace: TemporaryDirectory

    /// Starts a plain HTTP server, or HTTPS with `certificates` (requiring a client certificate
    /// signed by their CA when `requireClientCertificate`).
    public init(certificates: TestCertificates? = nil, requireClientCertificate: Bool = false) throws {
        let workspace = try TemporaryDirectory(prefix: "sluice-http-test-server")
        let script = try workspace.write("server.py", Self.serverScript)
        var tlsArguments: [String] = []
        if let certificates {
            tlsArguments = [certificates.serverCertificate.path, certificates.serverKey.path,
                            requireClientCertificate ? certificates.caCertificate.path : ""]
        }
        (process, port) = try startListening("http test server") { port in
            try SpawnedProcess("/usr/bin/python3", [script.path, String(port)] + tlsArguments,
                               cwd: workspace.url, stderrPath: workspace.url.appendingPathComponent("server.log").path)
        }
        self.workspace = workspace
        self.isTLS = certificates != nil
    }

    /// `http(s)://127.0.0.1:<port><path>` (the path starts with `/`).
    public func url(_ path: String) -> URL {
        URL(string: "\(isTLS ? "https" : "http")://127.0.0.1:\(port)\(path)")!
    }

    /// The server's log (one line per request), for failure messages.
    public var log: String {
        (try? String(contentsOf: workspace.url.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
    }

    deinit { process.stop(graceSeconds: 0) }

    private static let serverScript = #"""
    import base64, hashlib, itertools, json, os, ssl, sys, threading, time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import urlsplit, parse_qs

    COUNTS = {}
    LOCK = threading.Lock()
    CONNECTIONS = itertools.count(1)
    PATTERN = bytes(range(251))

    def pattern(n):
        return (PATTERN * (n // len(PATTERN) + 1))[:n]

    def parse_multipart(content_type, body):
        boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
        parts = []
        for section in body.split(b"--" + boundary)[1:-1]:
            head, _, content = section[2:].partition(b"\r\n\r\n")
            content = content[:-2]
            info = {"length": len(content), "base64": base64.b64encode(content).decode()}
            for line in head.decode("latin-1").split("\r\n"):
                key, _, value = line.partition(":")
                if key.lower() == "content-type":
                    info["contentType"] = value.strip()
                if key.lower() == "content-disposition":
                    for item in value.split(";")[1:]:
                        k, _, v = item.strip().partition("=")
                        info[k] = v.strip('"')
            parts.append(info)
        return parts

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            if hasattr(self.request, "do_handshake"):
                self.request.do_handshake()
            super().setup()
            self.connection_id = next(CONNECTIONS)

        def answer(self, code, body, content_type="application/json", headers=()):
            if isinstance(body, str):
                body = body.encode()
            if not isinstance(body, bytes):
                body = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Connection-Id", str(self.connection_id))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def route(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            parts = url.path.strip("/").split("/")
            head = parts[0]
            if head == "echo":
                self.answer(200, {"method": self.command, "path": url.path, "query": url.query,
                                  "headers": {k.lower(): v for k, v in self.headers.items()},
                                  "body": body.decode("utf-8", "replace"), "length": len(body)})
            elif head == "status":
                text = "status %s body" % parts[1]
                if query.get("echo_auth"):
                    text += " you sent Authorization: " + str(self.headers.get("Authorization"))
                extra = [("Retry-After", query["retry_after"])] if "retry_after" in query else []
                self.answer(int(parts[1]), text, "text/plain", extra)
            elif head == "flaky":
                with LOCK:
                    COUNTS[parts[1]] = COUNTS.get(parts[1], 0) + 1
                    count = COUNTS[parts[1]]
                if count <= int(query.get("fail", "1")):
                    extra = [("Retry-After", query["retry_after"])] if "retry_after" in query else []
                    self.answer(int(query.get("code", "503")), "try again", "text/plain", extra)
                else:
                    self.answer(200, {"attempts": count})
            elif head == "count":
                with LOCK:
                    self.answer(200, {"count": COUNTS.get(parts[1], 0)})
            elif head == "bytes":
                data = pattern(int(parts[1]))
                digest = hashlib.sha256(data).hexdigest()
                if query.get("chunked"):
                    self.send_response(200)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.send_header("X-Sha256", digest)
                    self.send_header("X-Connection-Id", str(self.connection_id))
                    self.end_headers()
                    for start in range(0, len(data), 65536):
                        chunk = data[start:start + 65536]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.answer(200, data, "application/octet-stream", [("X-Sha256", digest)])
            elif head == "sleep":
                time.sleep(int(parts[1]) / 1000)
                self.answer(200, "slept", "text/plain")
            elif head == "upload":
                self.answer(200, {"parts": parse_multipart(self.headers["Content-Type"], body)})
            else:
                self.answer(404, "no route " + url.path, "text/plain")

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = route

        def log_message(self, format, *args):
            sys.stderr.write(format % args + "\n")

    # The server ends with the test process that started it, even when no deinit runs.
    def exit_with_parent(parent=os.getppid()):
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)
    threading.Thread(target=exit_with_parent, daemon=True).start()

    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    if len(sys.argv) > 2:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[2], sys.argv[3])
        if sys.argv[4]:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(sys.argv[4])
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    server.serve_forever()
    """#
}
