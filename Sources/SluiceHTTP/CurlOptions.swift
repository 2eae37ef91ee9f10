import CCurl
import CCurlLoader
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Sets every option of one attempt on an easy handle (which `curl_easy_reset` left at defaults).
struct CurlOptions {
    let handle: UnsafeMutableRawPointer

    func apply(
        _ request: HTTPRequest, configuration: HTTPClientConfiguration, state: TransferState,
        resources: inout CurlResources
    ) throws(AttemptFailure) {
        try applyURL(request.url, serverName: configuration.tls.serverName, resources: &resources)
        // Signals are not thread-safe; without this, libcurl uses SIGALRM for DNS timeouts.
        try long(CURLOPT_NOSIGNAL, 1)
        try string(CURLOPT_PROTOCOLS_STR, "http,https")
        try long(CURLOPT_FOLLOWLOCATION, 0)
        try long(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        try string(CURLOPT_USERAGENT, configuration.userAgent)
        try long(CURLOPT_CONNECTTIMEOUT_MS, max(1, configuration.connectTimeout.roundedUpMilliseconds))
        try long(CURLOPT_TIMEOUT_MS, max(1, (request.timeout ?? configuration.timeout).roundedUpMilliseconds))
        // Refuses bodies whose announced Content-Length is already over the limit; the write
        // callback enforces it for chunked bodies.
        try check(sluice_curl_setopt_off_t(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(state.limit)), "CURLOPT_MAXFILESIZE_LARGE")
        try check(sluice_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, state.errorBuffer), "CURLOPT_ERRORBUFFER")
        if let proxy = configuration.proxy { try string(CURLOPT_PROXY, proxy) }
        try applyTLS(configuration.tls)
        try applyMethodAndBody(request, resources: &resources)
        try applyHeaders(request, bearerToken: configuration.bearerToken, resources: &resources)
        try applyCallbacks(state)
    }

    /// With a TLS server name, the URL names that host (so libcurl verifies the certificate
    /// against it and sends it as SNI) and `CURLOPT_CONNECT_TO` still connects to the real one.
    private func applyURL(_ url: URL, serverName: String?, resources: inout CurlResources) throws(AttemptFailure) {
        guard let serverName, url.scheme?.lowercased() == "https", let host = url.host,
              var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            try string(CURLOPT_URL, url.absoluteString)
            return
        }
        let port = url.port ?? 443
        components.host = serverName
        components.port = port
        guard let named = components.url else {
            throw failure("the TLS server name \(serverName) is not a host name", code: CURLE_URL_MALFORMAT)
        }
        try string(CURLOPT_URL, named.absoluteString)
        let target = host.contains(":") ? "[\(host)]" : host
        guard let list = sluice_curl_slist_append(nil, "\(serverName):\(port):\(target):\(port)") else {
            throw failure("out of memory for CURLOPT_CONNECT_TO", code: CURLE_OUT_OF_MEMORY)
        }
        resources.connectTo = list
        try check(sluice_curl_setopt_pointer(handle, CURLOPT_CONNECT_TO, UnsafeMutableRawPointer(list)), "CURLOPT_CONNECT_TO")
    }

    private func applyTLS(_ tls: TLSConfiguration) throws(AttemptFailure) {
        if tls.insecureSkipVerify {
            try long(CURLOPT_SSL_VERIFYPEER, 0)
            try long(CURLOPT_SSL_VERIFYHOST, 0)
        } else {
            try long(CURLOPT_SSL_VERIFYPEER, 1)
            try long(CURLOPT_SSL_VERIFYHOST, 2)
        }
        if let authority = tls.certificateAuthority {
            try pem(authority, file: CURLOPT_CAINFO, blob: CURLOPT_CAINFO_BLOB)
            // Trust only the given CA, not also the system's certificate directory.
            try check(sluice_curl_setopt_string(handle, CURLOPT_CAPATH, nil), "CURLOPT_CAPATH")
        }
        if let certificate = tls.clientCertificate {
            try pem(certificate, file: CURLOPT_SSLCERT, blob: CURLOPT_SSLCERT_BLOB)
            try string(CURLOPT_SSLCERTTYPE, "PEM")
        }
        if let key = tls.clientKey {
            try pem(key, file: CURLOPT_SSLKEY, blob: CURLOPT_SSLKEY_BLOB)
            try string(CURLOPT_SSLKEYTYPE, "PEM")
        }
    }

    private func pem(_ source: PEMSource, file: CURLoption, blob: CURLoption) throws(AttemptFailure) {
        switch source {
        case .file(let path):
            try string(file, path)
        case .data(let data):
            // CURL_BLOB_COPY: libcurl keeps its own copy, so the bytes need not outlive this call.
            let code = data.withUnsafeBytes { bytes in
                var value = curl_blob(data: UnsafeMutableRawPointer(mutating: bytes.baseAddress), len: bytes.count,
                                      flags: UInt32(CURL_BLOB_COPY))
                return sluice_curl_setopt_blob(handle, blob, &value)
            }
            try check(code, "TLS PEM data")
        }
    }

    private func applyMethodAndBody(_ request: HTTPRequest, resources: inout CurlResources) throws(AttemptFailure) {
        switch request.method {
        case .HEAD: try long(CURLOPT_NOBODY, 1)
        case .GET: try long(CURLOPT_HTTPGET, 1)
        case .POST, .PUT, .PATCH, .DELETE: break
        }
        switch request.body {
        case .empty:
            // POST, PUT and PATCH announce an empty body (Content-Length: 0); others send none.
            if [.POST, .PUT, .PATCH].contains(request.method) { try postFields(Data()) }
        case .data(let data, _), .json(let data):
            try postFields(data)
        case .multipart(let parts):
            resources.mime = try mime(parts)
            try check(sluice_curl_setopt_pointer(handle, CURLOPT_MIMEPOST, UnsafeMutableRawPointer(resources.mime)), "CURLOPT_MIMEPOST")
        }
        // Setting a body makes libcurl send POST; the custom request restores the intended method.
        if request.method != .GET && request.method != .HEAD || !isEmpty(request.body) {
            try string(CURLOPT_CUSTOMREQUEST, request.method.rawValue)
        }
    }

    private func isEmpty(_ body: HTTPBody) -> Bool {
        if case .empty = body { return true }
        return false
    }

    private func postFields(_ data: Data) throws(AttemptFailure) {
        try check(sluice_curl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(data.count)), "CURLOPT_POSTFIELDSIZE_LARGE")
        // COPYPOSTFIELDS copies the bytes (binary-safe, given the size set first).
        let code = data.isEmpty
            ? sluice_curl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, "")
            : data.withUnsafeBytes { bytes in
                sluice_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            }
        try check(code, "CURLOPT_COPYPOSTFIELDS")
    }

    private func mime(_ parts: [MultipartPart]) throws(AttemptFailure) -> OpaquePointer {
        guard let mime = sluice_curl_mime_init(handle) else { throw failure("libcurl could not create a MIME form") }
        var ok = true
        for part in parts {
            guard let field = sluice_curl_mime_addpart(mime) else { ok = false; break }
            ok = ok && sluice_curl_mime_name(field, part.name) == CURLE_OK
            switch part.content {
            case .data(let data):
                let code = data.isEmpty ? sluice_curl_mime_data(field, "", 0) : data.withUnsafeBytes { bytes in
                    sluice_curl_mime_data(field, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
                }
                ok = ok && code == CURLE_OK
            case .file(let url):
                guard FileManager.default.isReadableFile(atPath: url.path) else {
                    sluice_curl_mime_free(mime)
                    throw AttemptFailure(cause: .localFile("cannot read \(url.path) for form field \(part.name)"),
                                         message: "", mayHaveReachedServer: false)
                }
                ok = ok && sluice_curl_mime_filedata(field, url.path) == CURLE_OK
            }
            if let filename = part.filename { ok = ok && sluice_curl_mime_filename(field, filename) == CURLE_OK }
            if let type = part.contentType { ok = ok && sluice_curl_mime_type(field, type) == CURLE_OK }
        }
        guard ok else {
            sluice_curl_mime_free(mime)
            throw failure("libcurl could not build the multipart form")
        }
        return mime
    }

    private func applyHeaders(_ request: HTTPRequest, bearerToken: String?, resources: inout CurlResources) throws(AttemptFailure) {
        var lines: [String] = []
        for (name, value) in request.headers {
            // "Name;" is libcurl's way to send a header with an empty value.
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        let headers = request.headers
        if let bearerToken, !headers.contains("Authorization") { lines.append("Authorization: Bearer \(bearerToken)") }
        // Without this, libcurl waits up to a second for "100 Continue" before large bodies.
        if !headers.contains("Expect") { lines.append("Expect:") }
        if !headers.contains("Content-Type") {
            switch request.body {
            case .data(_, let type): lines.append("Content-Type: \(type)")
            case .json: lines.append("Content-Type: application/json")
            // An empty value removes libcurl's default x-www-form-urlencoded type.
            case .empty: lines.append("Content-Type:")
            case .multipart: break
            }
        }
        for line in lines {
            guard let appended = sluice_curl_slist_append(resources.headers, line) else {
                throw failure("libcurl could not allocate the header list")
            }
            resources.headers = appended
        }
        if let list = resources.headers {
            try check(sluice_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, list), "CURLOPT_HTTPHEADER")
        }
    }

    private func applyCallbacks(_ state: TransferState) throws(AttemptFailure) {
        let context = Unmanaged.passUnretained(state).toOpaque()
        try check(sluice_curl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let state = Unmanaged<TransferState>.fromOpaque(context!).takeUnretainedValue()
            let total = size * count
            return state.receive(UnsafeRawBufferPointer(start: data, count: total)) ? total : 0
        }, "CURLOPT_WRITEFUNCTION")
        try check(sluice_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context), "CURLOPT_WRITEDATA")
        try check(sluice_curl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let state = Unmanaged<TransferState>.fromOpaque(context!).takeUnretainedValue()
            state.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        }, "CURLOPT_HEADERFUNCTION")
        try check(sluice_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context), "CURLOPT_HEADERDATA")
        // The progress callback is how a cancelled task stops a running transfer.
        try check(sluice_curl_setopt_xferinfo_callback(handle, CURLOPT_XFERINFOFUNCTION) { context, _, _, _, _ in
            Unmanaged<TransferState>.fromOpaque(context!).takeUnretainedValue().cancellation.isCancelled ? 1 : 0
        }, "CURLOPT_XFERINFOFUNCTION")
        try check(sluice_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context), "CURLOPT_XFERINFODATA")
        try long(CURLOPT_NOPROGRESS, 0)
    }

    private func long(_ option: CURLoption, _ value: Int) throws(AttemptFailure) {
        try check(sluice_curl_setopt_long(handle, option, value), "option \(option.rawValue)")
    }

    private func string(_ option: CURLoption, _ value: String) throws(AttemptFailure) {
        try check(sluice_curl_setopt_string(handle, option, value), "option \(option.rawValue)")
    }

    private func check(_ code: CURLcode, _ what: String) throws(AttemptFailure) {
        guard code == CURLE_OK else {
            throw failure("libcurl rejected \(what): \(String(cString: sluice_curl_easy_strerror(code)))", code: code)
        }
    }

    private func failure(_ message: String, code: CURLcode = CURLE_FAILED_INIT) -> AttemptFailure {
        AttemptFailure(cause: .curl(code), message: message, mayHaveReachedServer: false)
    }
}
