import CCurlExport
public import HealthHTTP
package import NIOCore
package import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Where ``SpanExporter`` POSTs a batch: over one kept-alive NIO connection for an
/// `http://` collector, through libcurl for an `https://` one.
package protocol SpanExportTransport: Sendable {
    /// POSTs `body` with `headers`, failing after `timeout`; completes on the exporter's
    /// event loop.
    func post(headers: HTTPHeaders, body: ByteBuffer, timeout: TimeAmount) -> EventLoopFuture<HTTPClient.Response>
    /// Lets the connection go.
    func close()
}

extension KeepAliveHTTPClient: SpanExportTransport {}

/// POSTs span exports to an `https://` collector through libcurl, which the host loads
/// only then (``load()``): TLS with the system's certificate store or
/// `OTEL_EXPORTER_OTLP_CERTIFICATE`, a client certificate when the collector asks for
/// one, `HTTPS_PROXY` as libcurl honours it. `curl_easy_perform` blocks, so every POST
/// runs on NIO's thread pool, never on an event loop; its one libcurl handle keeps the
/// connection open from one export to the next.
///
/// `@unchecked Sendable`: the handle is used by one POST at a time (the exporter has one
/// export in flight, its retries one after the other, each hand-off a future's
/// completion) and freed only when nothing refers to the client any more.
package final class HTTPSExportClient: SpanExportTransport, @unchecked Sendable {
    private let target: HTTPTarget
    private let tls: ExportTLSFiles
    private let eventLoop: any EventLoop
    /// `hh_curl_export *`, made at the first POST.
    private var handle: OpaquePointer?

    init(_ target: HTTPTarget, tls: ExportTLSFiles, eventLoop: any EventLoop) {
        self.target = target
        self.tls = tls
        self.eventLoop = eventLoop
    }

    deinit { hh_curl_export_free(handle) }

    /// Loads libcurl, once; throws why it cannot be (not installed, too old).
    package static func load() throws(ExportRequestError) {
        var error = [CChar](repeating: 0, count: 256)
        guard hh_curl_export_load(&error, error.count) == 0 else {
            throw ExportRequestError(description: String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    package func post(headers: HTTPHeaders, body: ByteBuffer, timeout: TimeAmount) -> EventLoopFuture<HTTPClient.Response> {
        NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) { [self] in
            try perform(headers: headers, body: body, timeoutMilliseconds: max(1, Int(timeout.nanoseconds / 1_000_000)))
        }
    }

    /// Nothing to do at once: a POST may still be using the connection on the thread
    /// pool; it closes when the client goes.
    package func close() {}

    private func perform(headers: HTTPHeaders, body: ByteBuffer, timeoutMilliseconds: Int) throws -> HTTPClient.Response {
        if handle == nil { handle = hh_curl_export_new() }
        guard let handle else { throw ExportRequestError(description: "libcurl could not make a handle (out of memory?)") }
        let lines = headers.map { "\($0.name): \($0.value)" }
        var response = hh_curl_export_response()
        let result = withCStrings(lines) { headerLines in
            withCStrings([target.description, tls.certificateAuthorities, tls.clientCertificate, tls.clientKey]) { strings in
                body.withUnsafeReadableBytes { bytes in
                    var request = hh_curl_export_request(
                        url: strings[0], headers: headerLines.baseAddress, header_count: headerLines.count,
                        body: bytes.baseAddress, body_size: bytes.count, timeout_ms: timeoutMilliseconds, ca_file: strings[1],
                        client_certificate_file: strings[2], client_key_file: strings[3])
                    return hh_curl_export_post(handle, &request, &response)
                }
            }
        }
        guard result == 0 else {
            throw ExportRequestError(description: Self.text(of: &response.error), isTransient: response.transient != 0)
        }
        var answer = HTTPHeaders()
        let retryAfter = Self.text(of: &response.retry_after)
        if !retryAfter.isEmpty { answer.add(name: "Retry-After", value: retryAfter) }
        return HTTPClient.Response(status: response.status, headers: answer)
    }

    /// The NUL-terminated text in a fixed C array.
    private static func text<Storage>(of storage: inout Storage) -> String {
        withUnsafeBytes(of: &storage) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

/// Calls `body` with C strings for `texts` (NULL for nil), valid only during the call.
private func withCStrings<Result>(
    _ texts: [String?], _ body: (UnsafeBufferPointer<UnsafePointer<CChar>?>) throws -> Result
) rethrows -> Result {
    let copies = texts.map { $0.flatMap { strdup($0) } }
    defer { for copy in copies { free(copy) } }
    return try copies.map { $0.map { UnsafePointer($0) } }.withUnsafeBufferPointer(body)
}

/// Why an export through libcurl got no answer (no connection, a TLS failure, the time
/// ran out), and whether trying again may help.
package struct ExportRequestError: Error, CustomStringConvertible {
    package let description: String
    var isTransient = false
}
