import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What a pod manifest in Examples/kubernetes says, read with PyYAML (YAML 1.1, as the
/// API server's decoder reads these files: `0440` is octal) into plain values.
struct PodPlan: Sendable {
    struct Probe: Sendable {
        var path: String?
        /// The port as the manifest names or numbers it.
        var port: String?
        var exec: [String]?
        var initialDelaySeconds: Double
        var periodSeconds: Double
        var timeoutSeconds: Double
        var failureThreshold: Int
    }

    struct Security: Sendable {
        var runAsUser: UInt32?
        var runAsGroup: UInt32?
        var runAsNonRoot: Bool
        var dropsAll: Bool
        var allowPrivilegeEscalation: Bool
        var readOnlyRootFilesystem: Bool
    }

    struct VolumeMount: Sendable {
        var volume: String
        var mountPath: String
        var readOnly: Bool
    }

    struct Container: Sendable {
        var name: String
        var command: [String]?
        var args: [String]?
        var environment: [String: String]
        /// Port name (or the number as text) to containerPort.
        var ports: [String: Int]
        var probes: [String: Probe]
        var mounts: [VolumeMount]
        var security: Security
    }

    enum Volume: Sendable {
        case configMap(files: [String: String], mode: mode_t)
        case secret(files: [String: String], mode: mode_t)
        case hostPath(String)
        case emptyDir
    }

    var kind: String
    var name: String
    var fsGroup: UInt32?
    var supplementalGroups: [UInt32]
    var terminationGracePeriodSeconds: Int
    var initContainers: [Container]
    var containers: [Container]
    var volumes: [String: Volume]

    /// The pod of the Deployment or DaemonSet in `file`, its ConfigMaps and Secrets looked up
    /// in every manifest of the folder, as the API server would find them by name.
    static func read(_ file: String, folder: String) throws -> PodPlan {
        let documents = try manifestDocuments(file, folder: folder)
        let everything = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }
            .flatMap { try manifestDocuments($0, folder: folder) }
        guard let workload = documents.first(where: { ["Deployment", "DaemonSet"].contains($0["kind"] as? String) }),
            let spec = (workload["spec"] as? [String: Any])?["template"] as? [String: Any],
            let pod = spec["spec"] as? [String: Any]
        else { throw RawHTTPClient.ClientError("\(file) has no Deployment or DaemonSet") }
        let podSecurity = pod["securityContext"] as? [String: Any] ?? [:]
        func object(_ kind: String, _ name: String) -> [String: Any]? {
            everything.first { $0["kind"] as? String == kind && ($0["metadata"] as? [String: Any])?["name"] as? String == name }
        }
        var volumes: [String: Volume] = [:]
        for volume in pod["volumes"] as? [[String: Any]] ?? [] {
            guard let name = volume["name"] as? String else { continue }
            if let source = volume["configMap"] as? [String: Any] {
                let data = object("ConfigMap", source["name"] as? String ?? "")?["data"] as? [String: String] ?? [:]
                volumes[name] = .configMap(files: project(data, items: source["items"]), mode: mode(source["defaultMode"]))
            } else if let source = volume["secret"] as? [String: Any] {
                let data = object("Secret", source["secretName"] as? String ?? "")?["stringData"] as? [String: String] ?? [:]
                volumes[name] = .secret(files: project(data, items: source["items"]), mode: mode(source["defaultMode"]))
            } else if let source = volume["hostPath"] as? [String: Any] {
                volumes[name] = .hostPath(source["path"] as? String ?? "/")
            } else if volume["emptyDir"] != nil {
                volumes[name] = .emptyDir
            }
        }
        func container(_ value: [String: Any]) -> Container {
            let security = value["securityContext"] as? [String: Any] ?? [:]
            func setting(_ key: String) -> Any? { security[key] ?? podSecurity[key] }
            let drop = ((security["capabilities"] as? [String: Any])?["drop"] as? [String]) ?? []
            var environment: [String: String] = [:]
            for entry in value["env"] as? [[String: Any]] ?? [] {
                guard let name = entry["name"] as? String else { continue }
                if let text = entry["value"] as? String {
                    environment[name] = text
                } else if let path = ((entry["valueFrom"] as? [String: Any])?["fieldRef"] as? [String: Any])?["fieldPath"] as? String {
                    // What the downward API would give this test's pod.
                    environment[name] =
                        [
                            "metadata.name": "healthhost-test-0", "metadata.namespace": "default",
                            "spec.nodeName": "test-node", "status.hostIP": "127.0.0.1",
                        ][path] ?? ""
                }
            }
            var ports: [String: Int] = [:]
            for port in value["ports"] as? [[String: Any]] ?? [] {
                guard let number = port["containerPort"] as? Int else { continue }
                ports[String(number)] = number
                if let name = port["name"] as? String { ports[name] = number }
            }
            var probes: [String: Probe] = [:]
            for kind in ["startupProbe", "livenessProbe", "readinessProbe"] {
                guard let probe = value[kind] as? [String: Any] else { continue }
                let http = probe["httpGet"] as? [String: Any]
                probes[kind] = Probe(
                    path: http?["path"] as? String, port: (http?["port"]).map { "\($0)" },
                    exec: (probe["exec"] as? [String: Any])?["command"] as? [String],
                    initialDelaySeconds: number(probe["initialDelaySeconds"], 0), periodSeconds: number(probe["periodSeconds"], 10),
                    timeoutSeconds: number(probe["timeoutSeconds"], 1),
                    failureThreshold: Int(number(probe["failureThreshold"], 3)))
            }
            let mounts = (value["volumeMounts"] as? [[String: Any]] ?? []).map {
                VolumeMount(
                    volume: $0["name"] as? String ?? "", mountPath: $0["mountPath"] as? String ?? "",
                    readOnly: $0["readOnly"] as? Bool ?? false)
            }
            return Container(
                name: value["name"] as? String ?? "", command: value["command"] as? [String], args: value["args"] as? [String],
                environment: environment, ports: ports, probes: probes, mounts: mounts,
                security: Security(
                    runAsUser: (setting("runAsUser") as? Int).map(UInt32.init), runAsGroup: (setting("runAsGroup") as? Int).map(UInt32.init),
                    runAsNonRoot: setting("runAsNonRoot") as? Bool ?? false, dropsAll: drop.contains("ALL"),
                    allowPrivilegeEscalation: security["allowPrivilegeEscalation"] as? Bool ?? true,
                    readOnlyRootFilesystem: security["readOnlyRootFilesystem"] as? Bool ?? false))
        }
        return PodPlan(
            kind: workload["kind"] as? String ?? "", name: (workload["metadata"] as? [String: Any])?["name"] as? String ?? "",
            fsGroup: (podSecurity["fsGroup"] as? Int).map(UInt32.init),
            supplementalGroups: (podSecurity["supplementalGroups"] as? [Int] ?? []).map(UInt32.init),
            terminationGracePeriodSeconds: pod["terminationGracePeriodSeconds"] as? Int ?? 30,
            initContainers: (pod["initContainers"] as? [[String: Any]] ?? []).map(container),
            containers: (pod["containers"] as? [[String: Any]] ?? []).map(container), volumes: volumes)
    }

    /// Every document of a manifest file, as JSON objects.
    static func manifestDocuments(_ file: String, folder: String) throws -> [[String: Any]] {
        let script = "import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d]))"
        let result = try run("/usr/bin/env", ["python3", "-c", script, "\(folder)/\(file)"])
        guard result.status == 0, let documents = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]]
        else { throw RawHTTPClient.ClientError("cannot read \(file): \(result.output)") }
        return documents
    }

    private static func project(_ data: [String: String], items: Any?) -> [String: String] {
        guard let items = items as? [[String: Any]] else { return data }
        var files: [String: String] = [:]
        for item in items {
            if let key = item["key"] as? String, let path = item["path"] as? String, let value = data[key] { files[path] = value }
        }
        return files
    }

    /// A volume's `defaultMode`; the API server's default is 0644.
    private static func mode(_ value: Any?) -> mode_t { mode_t((value as? Int) ?? 0o644) }

    private static func number(_ value: Any?, _ fallback: Double) -> Double {
        (value as? Double) ?? (value as? Int).map(Double.init) ?? fallback
    }
}

/// The image packaging/Containerfile builds, as far as a pod sees it: its entrypoint and
/// command, and where the .deb puts the binary and the bundled plugins (with the digest
/// manifest that makes them bundled), bound over this machine's root.
enum ImageLayout {
    /// `ENTRYPOINT` and `CMD` of packaging/Containerfile (exec form).
    static func entrypointAndCommand() throws -> (entrypoint: [String], command: [String]) {
        let text = try String(
            contentsOfFile: TestPaths.packageRoot.appendingPathComponent("packaging/Containerfile").path, encoding: .utf8)
        func instruction(_ name: String) -> [String] {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + " ") }),
                let array = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(name.count + 1).utf8)) as? [String]
            else { return [] }
            return array
        }
        return (instruction("ENTRYPOINT"), instruction("CMD"))
    }

    /// Mounts that put the built binary at /usr/bin/healthhost and the bundled plugins in
    /// /usr/lib/healthhost/plugins (copies, with `bundled-plugins.sha256`).
    static func mounts() throws -> [RestrictedContext.Mount] {
        let lib = TestPaths.temporaryDirectory("image-lib")
        let plugins = lib + "/plugins"
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        chmod(lib, 0o755)
        chmod(plugins, 0o755)
        var manifest = ""
        for name in ["libhh-core.so", "libhh-system.so", "libhh-nagios.so", "libhh-net.so", "libhh-redis.so", "libhh-postgres.so", "libhh-mysql.so"] {
            let copy = "\(plugins)/\(name)"
            try FileManager.default.copyItem(atPath: TestPaths.builtLibrary(name), toPath: copy)
            chmod(copy, 0o644)
            let digest = try run("/usr/bin/sha256sum", [copy]).output.split(separator: " ").first.map(String.init) ?? ""
            manifest += "\(digest)  \(name)\n"
        }
        try manifest.write(toFile: lib + "/bundled-plugins.sha256", atomically: true, encoding: .utf8)
        chmod(lib + "/bundled-plugins.sha256", 0o644)
        return [
            .init(source: TestPaths.executable, target: "/usr/bin/healthhost"),
            .init(source: lib, target: "/usr/lib/healthhost"),
        ]
    }
}
