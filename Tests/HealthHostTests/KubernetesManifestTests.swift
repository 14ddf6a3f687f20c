import Foundation
import HealthConfig
import HealthCore
import HealthHostApp
import Testing

/// Examples/kubernetes: every manifest passes the Kubernetes schemas (kubernetes-validate
/// from PyPI, offline, `--strict` so a misspelt field fails), the probes point at the
/// right endpoints with the right timeouts, the grace period covers the shutdown delay
/// and drain, and the ConfigMap's config builds a real host with the bundled plugins.
@Suite(.timeLimit(.minutes(2))) struct KubernetesManifestTests {
    private let directory = TestPaths.packageRoot.appendingPathComponent("Examples/kubernetes").path

    @Test(arguments: [
        "configmap.yaml", "node-configmap.yaml", "secret.yaml", "sidecar-deployment.yaml", "daemonset.yaml", "plugin-delivery.yaml",
    ])
    func aManifestPassesTheKubernetesSchemasStrictly(file: String) async throws {
        let result = try await runOffThePool("/usr/bin/env", ["kubernetes-validate", "--strict", "\(directory)/\(file)"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("passed"), "\(result.output)")
        #expect(!result.output.contains("ERROR"), "\(result.output)")
    }

    @Test func theProbesGraceAndSecretFitTheHostsConfig() throws {
        for file in ["sidecar-deployment.yaml", "daemonset.yaml", "plugin-delivery.yaml"] {
            let text = try String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8)
            #expect(text.contains("livenessProbe:\n            httpGet: { path: /livez, port: health }"), "\(file)")
            #expect(text.contains("readinessProbe:\n            httpGet: { path: /readyz, port: health }"), "\(file)")
            #expect(text.contains("startupProbe:\n            httpGet: { path: /startupz, port: health }"), "\(file)")
            #expect(text.contains("terminationGracePeriodSeconds: 20"), "\(file)")
            #expect(text.contains("readOnlyRootFilesystem: true") && text.contains("runAsNonRoot: true"), "\(file)")
            #expect(text.contains("secretName: healthhost-secret"), "\(file)")
        }
        for file in ["configmap.yaml", "node-configmap.yaml", "plugin-delivery.yaml"] {
            let loaded = try embeddedConfig(file)
            let http = loaded.configuration.http
            // The grace period covers the delay and the drain.
            #expect(http.shutdownDelay + http.drainTimeout < .seconds(20), "\(file)")
            // Every check a readiness or liveness probe reads runs in the background or
            // answers from memory, and no check's timeout reaches the kubelet's 1 s.
            for check in loaded.configuration.checks ?? [] where check.plugin != "core" {
                #expect(check.interval != nil, "\(file): \(check.name) would make probes wait")
                #expect((check.timeout ?? .seconds(5)) < .seconds(1), "\(file): \(check.name)'s timeout reaches the probe timeout")
            }
        }
    }

    @Test func theConfigMapsConfigBuildsARealHostWithTheBundledPlugins() throws {
        let plugins = URL(fileURLWithPath: TestPaths.builtLibrary("libhh-core.so")).deletingLastPathComponent().path
        let secrets = TestPaths.temporaryDirectory("k8s")
        try "s3cret-from-the-mount".write(toFile: "\(secrets)/secret", atomically: true, encoding: .utf8)
        let yaml = try configMapYAML()
            .replacingOccurrences(of: "/usr/lib/healthhost/plugins", with: plugins)
            .replacingOccurrences(of: "/var/run/secrets/healthhost", with: secrets)
        let app = try TestHost.build(yaml: yaml)
        defer { app.shutdown() }
        #expect(app.registry.names == ["alive", "app", "db", "cache"])
        #expect(app.registry.check(named: "db")?.damping.failAfter == 2)
        // Readiness is the app beside it; its dependencies are reported, not probed.
        #expect(app.registry.members(of: "readiness").map(\.name) == ["app"])
        #expect(app.registry.members(of: "dependencies").map(\.name) == ["db", "cache"])
    }

    /// The `healthhost.yaml` key of the ConfigMap in `file`: its indented block.
    private func configMapYAML(_ file: String = "configmap.yaml") throws -> String {
        let text = try String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8)
        let body = try #require(text.components(separatedBy: "  healthhost.yaml: |\n").dropFirst().first)
        return body.split(separator: "\n", omittingEmptySubsequences: false)
            .prefix { $0.hasPrefix("    ") || $0.isEmpty }
            .map { String($0.dropFirst(4)) }.joined(separator: "\n")
    }

    private func embeddedConfig(_ file: String = "configmap.yaml") throws -> LoadedConfiguration {
        try ConfigurationLoader.parse(yaml: configMapYAML(file), file: file, directory: directory)
    }
}
