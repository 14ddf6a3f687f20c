import Foundation

/// A CA and certificates made by the `openssl` command in a folder, for servers that
/// speak TLS in the tests: `ca.crt`/`ca.key`; leaves the CA signs for localhost and
/// 127.0.0.1, valid 365 days (`valid`) or 3 (`expiring`), one for another name
/// (`wrongname`) and a client certificate (`client`, for mutual TLS); and a self-signed
/// leaf (`selfsigned`). Each as NAME.crt and NAME.key.
enum TestCertificates {
    static func make(in folder: String) async throws {
        let ca = folder + "/ca"
        try await openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca + ".key", "-out", ca + ".crt", "-days", "30",
            "-subj", "/CN=healthhost test CA",
        ])
        for (name, days, host) in [
            ("valid", "365", "localhost"), ("expiring", "3", "localhost"), ("wrongname", "365", "other.example"),
            ("client", "365", "healthhost-client"),
        ] {
            let base = folder + "/" + name
            let extensions = base + ".ext"
            let usage =
                switch host {
                case "localhost": "subjectAltName=DNS:localhost,IP:127.0.0.1"
                case "healthhost-client": "extendedKeyUsage=clientAuth"
                default: "subjectAltName=DNS:\(host)"
                }
            try "\(usage)\n".write(toFile: extensions, atomically: true, encoding: .utf8)
            try await openssl([
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", base + ".key", "-out", base + ".csr", "-subj", "/CN=\(host)",
            ])
            try await openssl([
                "x509", "-req", "-in", base + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key", "-CAcreateserial",
                "-out", base + ".crt", "-days", days, "-extfile", extensions,
            ])
        }
        let selfSigned = folder + "/selfsigned"
        try await openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", selfSigned + ".key", "-out", selfSigned + ".crt",
            "-days", "365", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])
    }

    private static func openssl(_ arguments: [String]) async throws {
        let result = try await runOffThePool("/usr/bin/openssl", arguments)
        guard result.status == 0 else { throw RawHTTPClient.ClientError("openssl \(arguments.joined(separator: " ")): \(result.output)") }
    }
}
