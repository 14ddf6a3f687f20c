import HealthCore
import HealthJSON
import HealthHTTP
import HealthPOSIX

/// OpenTelemetry resource attributes of this process (semantic conventions): service,
/// host, OS, process, container and Kubernetes pod, as far as they can be known.
///
/// Precedence, lowest first: detected values, `OTEL_RESOURCE_ATTRIBUTES`
/// (`key=value,...`), then the service name and version (`service.*` in the config,
/// else `OTEL_SERVICE_NAME` / `VERSION`).
enum ResourceAttributes {
    static func gather(
        serviceName: String, serviceVersion: String, hostname: String, environment: [String: String],
        files: FileReader = .system
    ) -> [String: JSONValue] {
        let names = SystemName.current()
        var attributes: [String: JSONValue] = [
            "host.name": .string(hostname),
            "host.arch": .string(architecture(machine: names.machine)),
            "os.type": .string("linux"),
            "os.description": .string("\(names.system) \(names.release)"),
            "process.pid": .int(CurrentProcess.identifier),
            "process.executable.name": .string(CurrentProcess.name),
            "process.command_args": .array(CurrentProcess.arguments.map(JSONValue.string)),
            "process.runtime.name": .string("swift"),
            "process.runtime.version": .string(SwiftVersion.text),
            "telemetry.sdk.name": .string("healthhost"),
        ]
        if let path = CurrentProcess.arguments.first { attributes["process.executable.path"] = .string(path) }
        if let id = containerID(files: files) { attributes["container.id"] = .string(id) }
        let inKubernetes = environment["KUBERNETES_SERVICE_HOST"] != nil
        if let pod = environment["POD_NAME"] ?? environment["K8S_POD_NAME"] ?? (inKubernetes ? hostname : nil) {
            attributes["k8s.pod.name"] = .string(pod)
        }
        let namespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
        if let namespace = environment["POD_NAMESPACE"] ?? files.read(namespaceFile)?.trimmingWhitespace(),
            !namespace.isEmpty
        {
            attributes["k8s.namespace.name"] = .string(namespace)
        }
        if let node = environment["NODE_NAME"] ?? environment["K8S_NODE_NAME"] { attributes["k8s.node.name"] = .string(node) }
        for (key, value) in parse(environment["OTEL_RESOURCE_ATTRIBUTES"] ?? "") { attributes[key] = .string(value) }
        attributes["service.name"] = .string(serviceName)
        attributes["service.version"] = .string(serviceVersion)
        return attributes
    }

    /// `key1=value1,key2=value2`, values percent-decoded; malformed items are skipped.
    static func parse(_ text: String) -> [(String, String)] {
        text.split(separator: ",").compactMap { item in
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            let key = parts[0].trimmingWhitespace()
            let value = parts[1].trimmingWhitespace()
            guard !key.isEmpty else { return nil }
            return (key, PercentDecoding.decode(Substring(value)) ?? value)
        }
    }

    /// The container ID from the cgroup files: the 64-hex-digit name Docker, containerd
    /// and CRI-O give the container's cgroup (v1: `/proc/self/cgroup`; v2: `mountinfo`).
    static func containerID(files: FileReader) -> String? {
        for file in ["/proc/self/cgroup", "/proc/self/mountinfo"] {
            guard let text = files.read(file) else { continue }
            for line in text.split(separator: "\n") {
                for segment in line.split(whereSeparator: { $0 == "/" || $0 == " " }) {
                    var candidate = Substring(segment)
                    for prefix in ["docker-", "cri-containerd-", "crio-"] where candidate.hasPrefix(prefix) {
                        candidate = candidate.dropFirst(prefix.count)
                    }
                    if candidate.hasSuffix(".scope") { candidate = candidate.dropLast(6) }
                    if candidate.count == 64, candidate.allSatisfy(\.isHexDigit) { return String(candidate) }
                }
            }
        }
        return nil
    }

    private static func architecture(machine: String) -> String {
        switch machine {
        case "x86_64": "amd64"
        case "aarch64", "arm64": "arm64"
        case let other: other
        }
    }

    /// Reads small text files; replaced in tests.
    struct FileReader: Sendable {
        let read: @Sendable (String) -> String?
        static let system = FileReader { path in try? FileReading.text(atPath: path, limit: 1 << 20) }
    }
}
