import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real nginx on 127.0.0.1 for the net plugin's tests, with the ``TestCertificates``:
/// plain HTTP, and HTTPS with a valid certificate, one that expires in 3 days, one for the
/// wrong name and a self-signed one (a ``ServerProcess``).
final class NginxFixture: @unchecked Sendable {
    let folder: String
    let http: Int
    let httpsValid: Int
    let httpsExpiring: Int
    let httpsWrongName: Int
    let httpsSelfSigned: Int
    private var server: ServerProcess?

    var caFile: String { folder + "/ca.crt" }
    var accessLog: String { folder + "/access.log" }

    init() async throws {
        folder = TestPaths.temporaryDirectory("nginx")
        (http, httpsValid, httpsExpiring, httpsWrongName, httpsSelfSigned) =
            (try freePort(), try freePort(), try freePort(), try freePort(), try freePort())
        try await TestCertificates.make(in: folder)
        let config = """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(folder)/nginx.pid;
            error_log \(folder)/error.log;
            events { worker_connections 64; }
            http {
              log_format combined_connection '$connection $request $status';
              access_log \(folder)/access.log combined_connection;
              client_body_temp_path \(folder)/body;
              keepalive_timeout 60;
              server {
                listen 127.0.0.1:\(http);
                location = /health { return 200 "ok healthy\\n"; }
                location = /down { return 503 "maintenance\\n"; }
                location = /moved { return 302 /health; }
                location = /auth { if ($http_authorization != "Bearer t0ps3cret") { return 401; } return 200 "welcome\\n"; }
              }
            \(tlsServer(httpsValid, "valid"))
            \(tlsServer(httpsExpiring, "expiring"))
            \(tlsServer(httpsWrongName, "wrongname"))
            \(tlsServer(httpsSelfSigned, "selfsigned"))
            }
            """
        let configFile = folder + "/nginx.conf"
        try config.write(toFile: configFile, atomically: true, encoding: .utf8)
        server = try await ServerProcess("/usr/sbin/nginx", ["-p", folder, "-c", configFile], readyWhenPort: http)
        guard (try? TestSocket(port: httpsValid)) != nil else {
            throw RawHTTPClient.ClientError("nginx did not listen on \(httpsValid): \(errorLog)")
        }
    }

    var errorLog: String { (try? String(contentsOfFile: folder + "/error.log", encoding: .utf8)) ?? "" }

    private func tlsServer(_ port: Int, _ name: String) -> String {
        """
          server {
            listen 127.0.0.1:\(port) ssl;
            ssl_certificate \(folder)/\(name).crt;
            ssl_certificate_key \(folder)/\(name).key;
            location = /health { return 200 "ok over tls\\n"; }
          }
        """
    }
}
