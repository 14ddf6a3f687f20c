import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Each pod of Examples/kubernetes run the way its manifest says (issue #39): the
/// healthhost container's runAsUser/runAsGroup (non-root), fsGroup and supplementalGroups,
/// capabilities dropped, allowPrivilegeEscalation (no_new_privs), readOnlyRootFilesystem,
/// PID 1 of its own PID namespace, the image's entrypoint, the ConfigMap and Secret
/// volumes laid out as the kubelet lays them out (`..data` links, defaultMode, fsGroup),
/// hostPath and emptyDir volumes, init containers; then the manifest's own probes (path,
/// named port, period, timeout, thresholds) against it, a Secret rotated by the kubelet's
/// atomic `..data` swap, and SIGTERM within the grace period.
///
/// What differs from a cluster, on purpose: the pod shares this machine's network, so
/// each containerPort is mapped to a free port on 127.0.0.1 (`0.0.0.0` in a config reads
/// 127.0.0.1); probe periods and `auth.reload_interval` are divided by ``timeScale``
/// (timeouts and thresholds stay as written); the "image" is this machine's root file
/// system with the built binary and bundled plugins bound where the .deb installs them;
/// a container other than healthhost is a stand-in HTTP server answering on its port; no
/// seccomp.
@Suite(
    .serialized, .timeLimit(.minutes(4)),
    .enabled(if: RestrictedLaunch.isAvailable, "needs root and util-linux's unshare, setpriv and chroot"))
struct KubernetesPodTests {
    static let folder = TestPaths.packageRoot.appendingPathComponent("Examples/kubernetes").path
    static let timeScale = 10.0

    @Test func theSidecarPodRunsAsWrittenChecksTheAppBesideItAndFollowsARotatedSecret() async throws {
        let pod = try await PodRun.start("sidecar-deployment.yaml")
        try await pod.expectRunsAsWritten()
        try await pod.expectProbesPass()
        try await pod.expectSecretRotationApplies()
        // It checks the app beside it: with the app gone, readiness fails (a named
        // failure for callers with the secret), liveness does not.
        let status = try await pod.get("/health/status", secret: true)
        #expect(status.body.contains("\"name\":\"app\""), "\(status.body.prefix(400))")
        #expect(status.body.contains("GET http://127.0.0.1:"), "\(status.body.prefix(800))")
        pod.stopApps()
        #expect(await eventually(within: .seconds(10)) { await !pod.probe("readinessProbe").passed })
        #expect(await pod.probe("livenessProbe").passed)
        try await pod.expectGracefulStop()
    }

    @Test func theDaemonSetPodRunsAsWrittenWithNodeChecksOfItsOwn() async throws {
        let pod = try await PodRun.start("daemonset.yaml")
        try await pod.expectRunsAsWritten()
        try await pod.expectProbesPass()
        try await pod.expectSecretRotationApplies()
        // Its own checks of the node: the node's root disk through the /host mount.
        let status = try await pod.get("/health/status", secret: true)
        for name in ["node-root-disk", "node-memory", "node-load"] {
            #expect(status.body.contains("\"name\":\"\(name)\""), "\(status.body.prefix(600))")
        }
        #expect(!status.body.contains("postgres") && !status.body.contains("redis"))
        #expect(status.body.contains("/host"), "\(status.body.prefix(1500))")
        try await pod.expectGracefulStop()
    }

    /// The init-container recipe of plugin-delivery.yaml: the copy into an emptyDir
    /// subdirectory made 0755 passes the trust rules and the plugin serves from a
    /// worker; the copy into the emptyDir's own root (mode 2777) is refused.
    @Test func aPluginCopiedByTheInitContainerIntoAnEmptyDirSubdirectoryLoadsAndServes() async throws {
        let acme = try await PluginCompiler.build(source: "\(TestPaths.fixtures)/acme.c", fileName: "hh-acme.so")
        let pod = try await PodRun.start("plugin-delivery.yaml", initImageFiles: ["/opt/acme/hh-acme.so": acme])
        try await pod.expectRunsAsWritten()
        try await pod.expectProbesPass()
        let emptyDir = try #require(pod.emptyDirs["plugins"])
        var info = stat()
        #expect(stat("\(emptyDir)/acme", &info) == 0 && info.st_mode & 0o7777 == 0o2755, "\(String(info.st_mode, radix: 8))")
        #expect(stat("\(emptyDir)/acme/hh-acme.so", &info) == 0 && info.st_mode & 0o777 == 0o644 && info.st_uid == 65532)
        let status = try await pod.get("/health/status", secret: true)
        // In a worker: the host is PID 1 of the pod, the plugin answers from another PID.
        let answer = try #require(status.body.range(of: "acme queue drained in pid "), "\(status.body.prefix(800))")
        let pid = Int(status.body[answer.upperBound...].prefix { $0.isNumber })
        #expect(pid != nil && pid != 1, "\(status.body.prefix(800))")
        try await pod.expectGracefulStop()

        // The usual copy straight into the emptyDir is refused, with the reason.
        try FileManager.default.copyItem(atPath: acme, toPath: "\(emptyDir)/hh-acme.so")
        let folder = TestPaths.temporaryDirectory("naive-copy")
        try "plugins: { paths: [/var/lib/healthhost/plugins/hh-acme.so] }\nauth: { disabled: true }\n"
            .write(toFile: "\(folder)/healthhost.yaml", atomically: true, encoding: .utf8)
        var context = pod.context(for: pod.healthhost)
        context.mounts =
            pod.imageMounts + [
                .init(source: emptyDir, target: "/var/lib/healthhost/plugins"), .init(source: folder, target: "/etc/healthhost"),
            ]
        let naive = try RestrictedProcess(
            context, program: ["/usr/bin/healthhost", "validate", "--config", "/etc/healthhost/healthhost.yaml"], label: "naive")
        #expect(await naive.waitForExit(within: .seconds(20)) == 1, "\(naive.output)")
        #expect(naive.output.contains("writable by group or others (mode 2777)"), "\(naive.output)")
    }
}

/// One pod of a manifest, started: volumes, init containers, stand-in apps, and the
/// healthhost container as ``RestrictedProcess``.
final class PodRun: @unchecked Sendable {
    let plan: PodPlan
    let healthhost: PodPlan.Container
    /// containerPort → the port on 127.0.0.1.
    let ports: [Int: Int]
    let kubeletVolumes: [String: KubeletVolume]
    let emptyDirs: [String: String]
    let hostPaths: [String: String]
    let imageMounts: [RestrictedContext.Mount]
    private var apps: [ServerProcess]
    private(set) var host: RestrictedProcess?
    private(set) var workload: pid_t = 0

    private init(plan: PodPlan) throws {
        self.plan = plan
        guard let container = plan.containers.first(where: { $0.name == "healthhost" }) else {
            throw RawHTTPClient.ClientError("\(plan.name) has no healthhost container")
        }
        healthhost = container
        var ports: [Int: Int] = [:]
        for container in plan.containers + plan.initContainers {
            for port in Set(container.ports.values) { ports[port] = try freePort() }
        }
        self.ports = ports
        var kubelet: [String: KubeletVolume] = [:]
        var emptyDirs: [String: String] = [:]
        var hostPaths: [String: String] = [:]
        for (name, volume) in plan.volumes {
            switch volume {
            case .configMap(let files, let mode):
                kubelet[name] = try KubeletVolume(
                    files: files.mapValues { Self.substitute($0, ports: ports) }, mode: mode, fsGroup: plan.fsGroup, label: "configmap")
            case .secret(let files, let mode):
                kubelet[name] = try KubeletVolume(files: files, mode: mode, fsGroup: plan.fsGroup, label: "secret")
            case .hostPath(let path):
                hostPaths[name] = path
            case .emptyDir:
                // The kubelet makes it 0777, and with fsGroup group-owned and setgid.
                let folder = TestPaths.temporaryDirectory("emptydir")
                chmod(folder, 0o777)
                if let group = plan.fsGroup {
                    chown(folder, UInt32.max, group)
                    chmod(folder, 0o2777)
                }
                emptyDirs[name] = folder
            }
        }
        kubeletVolumes = kubelet
        self.emptyDirs = emptyDirs
        self.hostPaths = hostPaths
        imageMounts = try ImageLayout.mounts()
        apps = []
    }

    deinit {
        host = nil
        apps.removeAll()
    }

    /// The pod's network is this machine's loopback: containerPorts mapped to free ports,
    /// `0.0.0.0` to 127.0.0.1, and time scaled as the probe periods are.
    static func substitute(_ text: String, ports: [Int: Int]) -> String {
        var text = text.replacingOccurrences(of: "host: 0.0.0.0", with: "host: 127.0.0.1")
            .replacingOccurrences(of: "reload_interval: 10", with: "reload_interval: \(10 / KubernetesPodTests.timeScale)")
        for (containerPort, port) in ports {
            text = text.replacingOccurrences(of: "port: \(containerPort)", with: "port: \(port)")
                .replacingOccurrences(of: "127.0.0.1:\(containerPort)", with: "127.0.0.1:\(port)")
        }
        return text
    }

    static func start(_ file: String, initImageFiles: [String: String] = [:]) async throws -> PodRun {
        let plan = try PodPlan.read(file, folder: KubernetesPodTests.folder)
        let pod = try PodRun(plan: plan)
        for container in plan.initContainers {
            let context = pod.context(
                for: container, extra: initImageFiles.map { .init(source: $0.value, target: $0.key) })
            let program = (container.command ?? []) + (container.args ?? [])
            let process = try RestrictedProcess(context, program: program, label: "init-\(container.name)")
            let status = await process.waitForExit(within: .seconds(20))
            #expect(status == 0, "init container \(container.name): \(process.output)")
        }
        for container in plan.containers where container.name != "healthhost" {
            for containerPort in Set(container.ports.values) {
                guard let port = pod.ports[containerPort] else { continue }
                let root = TestPaths.temporaryDirectory("app")
                try "ok\n".write(toFile: "\(root)/healthz", atomically: true, encoding: .utf8)
                pod.apps.append(
                    try await ServerProcess(
                        "/usr/bin/python3", ["-m", "http.server", "\(port)", "--bind", "127.0.0.1", "--directory", root],
                        readyWhenPort: port))
            }
        }
        let image = try ImageLayout.entrypointAndCommand()
        let program = (pod.healthhost.command ?? image.entrypoint) + (pod.healthhost.args ?? (pod.healthhost.command == nil ? image.command : []))
        let host = try RestrictedProcess(pod.context(for: pod.healthhost, extra: pod.imageMounts), program: program, label: plan.name)
        pod.host = host
        guard let workload = await host.waitForWorkload(executing: "healthhost") else {
            throw RawHTTPClient.ClientError("\(plan.name): healthhost did not start:\n\(host.output)")
        }
        pod.workload = workload
        return pod
    }

    /// The process context the kubelet would give `container`.
    func context(for container: PodPlan.Container, extra: [RestrictedContext.Mount] = []) -> RestrictedContext {
        var context = RestrictedContext()
        context.user = container.security.runAsUser ?? 0
        context.group = container.security.runAsGroup ?? 0
        context.supplementaryGroups = (plan.fsGroup.map { [$0] } ?? []) + plan.supplementalGroups
        context.dropAllCapabilities = container.security.dropsAll
        context.noNewPrivileges = !container.security.allowPrivilegeEscalation
        context.readOnlyRoot = container.security.readOnlyRootFilesystem
        context.ownPIDNamespace = true
        context.mounts =
            extra
            + container.mounts.compactMap { mount in
                let source = kubeletVolumes[mount.volume]?.path ?? emptyDirs[mount.volume] ?? hostPaths[mount.volume]
                return source.map { .init(source: $0, target: mount.mountPath, readOnly: mount.readOnly) }
            }
        context.environment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME": "healthhost-test-0"]
            .merging(container.environment) { $1 }
        return context
    }

    var output: String { host?.output ?? "" }

    func stopApps() { apps.removeAll() }

    /// The port the healthhost container's `health` port is reached on.
    var healthPort: Int { ports[healthhost.ports["health"] ?? 8080] ?? 0 }

    func get(_ target: String, secret: Bool = false, with value: String? = nil) async throws -> RawHTTPResponse {
        var headers: [String: String] = [:]
        if secret, let value = value ?? currentSecret { headers["Authorization"] = "Bearer \(value)" }
        return try await RawHTTPClient.request(port: healthPort, "GET", target, headers: headers)
    }

    /// The shared secret as the Secret volume holds it now.
    var currentSecret: String? {
        for volume in kubeletVolumes.values {
            if let text = try? String(contentsOfFile: "\(volume.path)/secret", encoding: .utf8) { return text }
        }
        return nil
    }

    /// Runs the container's probe of `kind` once, as the kubelet would.
    func probe(_ kind: String) async -> (passed: Bool, detail: String) {
        guard let spec = healthhost.probes[kind] else { return (false, "no \(kind)") }
        if let path = spec.path, let name = spec.port, let containerPort = healthhost.ports[name], let port = ports[containerPort] {
            return await httpProbe(port: port, path: path, timeout: spec.timeoutSeconds)
        }
        if let command = spec.exec {
            // Inside the running container: its mount and PID namespaces, its root, its
            // user and privileges.
            let context = self.context(for: healthhost)
            let arguments =
                ["\(Int(spec.timeoutSeconds.rounded(.up)))", "/usr/bin/nsenter", "-t", "\(workload)", "-m", "-p", "-r", "-w", "--"]
                + RestrictedLaunch.userAndPrivileges(context) + RestrictedLaunch.environmentAndProgram(context, command)
            let result = try? await runOffThePool("/usr/bin/timeout", arguments)
            return (result?.status == 0, result?.output ?? "not run")
        }
        return (false, "\(kind) is neither httpGet on a known port nor exec")
    }

    /// Runs `kind` every period until it passes, failing after `failureThreshold` failures.
    func probeUntilPassing(_ kind: String) async -> (passed: Bool, detail: String) {
        guard let spec = healthhost.probes[kind] else { return (false, "no \(kind)") }
        try? await Task.sleep(for: .seconds(spec.initialDelaySeconds / KubernetesPodTests.timeScale))
        var last = (passed: false, detail: "never ran")
        for _ in 0..<spec.failureThreshold {
            last = await probe(kind)
            if last.passed || host?.hasExited == true { return last }
            try? await Task.sleep(for: .seconds(spec.periodSeconds / KubernetesPodTests.timeScale))
        }
        return last
    }

    // MARK: Expectations

    /// The healthhost container's process is what the manifest asks for, and the volumes
    /// are what the kubelet would make of them.
    func expectRunsAsWritten() async throws {
        let security = healthhost.security
        #expect(security.runAsNonRoot && (security.runAsUser ?? 0) != 0, "\(plan.name): runAsNonRoot with a non-zero runAsUser")
        #expect(security.dropsAll && !security.allowPrivilegeEscalation && security.readOnlyRootFilesystem, "\(plan.name)")
        let fields = Self.status(of: workload)
        #expect(fields["Uid"]?.split(separator: "\t").first.map(String.init) == "\(security.runAsUser ?? 0)", "\(fields)")
        #expect(fields["Gid"]?.split(separator: "\t").first.map(String.init) == "\(security.runAsGroup ?? 0)", "\(fields)")
        if let group = plan.fsGroup {
            #expect(fields["Groups"]?.split(separator: " ").contains { $0 == "\(group)" } == true, "\(fields)")
        }
        for set in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] { #expect(fields[set] == "0000000000000000", "\(set)") }
        #expect(fields["NoNewPrivs"] == "1")
        #expect(fields["NSpid"]?.split(separator: "\t").last == "1", "PID 1 of the container: \(fields["NSpid"] ?? "-")")
        // The secret's files: group fsGroup, the group read bit, behind ..data links.
        for volume in kubeletVolumes.values {
            let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(volume.path)/..data")) ?? ""
            #expect(link.hasPrefix("..20"), "\(volume.path)/..data -> \(link)")
            if let group = plan.fsGroup, let names = try? FileManager.default.contentsOfDirectory(atPath: "\(volume.path)/\(link)") {
                for name in names {
                    var info = stat()
                    #expect(stat("\(volume.path)/\(name)", &info) == 0 && info.st_gid == group && info.st_mode & 0o040 != 0, "\(name)")
                }
            }
        }
    }

    /// The startup probe passes within its threshold; then liveness and readiness pass,
    /// period after period.
    func expectProbesPass() async throws {
        let startup = await probeUntilPassing("startupProbe")
        #expect(startup.passed, "\(plan.name): startupProbe: \(startup.detail)\n\(output)")
        guard startup.passed else { throw RawHTTPClient.ClientError("not started") }
        let ready = await probeUntilPassing("readinessProbe")
        #expect(ready.passed, "\(plan.name): readinessProbe: \(ready.detail)\n\(output)")
        for _ in 0..<3 {
            for kind in ["livenessProbe", "readinessProbe"] {
                let result = await probe(kind)
                #expect(result.passed, "\(plan.name): \(kind): \(result.detail)")
            }
            let period = healthhost.probes.values.map(\.periodSeconds).min() ?? 1
            try await Task.sleep(for: .seconds(period / KubernetesPodTests.timeScale))
        }
    }

    /// The kubelet swaps the Secret's `..data`; within a reload interval the host takes the
    /// new secret, refuses the old one, and its probes keep passing.
    func expectSecretRotationApplies() async throws {
        guard let volume = kubeletVolumes.values.first(where: { FileManager.default.fileExists(atPath: "\($0.path)/secret") }),
            let old = currentSecret
        else {
            Issue.record("\(plan.name) mounts no secret")
            return
        }
        #expect(try await get("/health/status", secret: true).status == 200)
        let before = volume.currentDataFolder
        var files: [String: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: volume.path)) ?? [] where !name.hasPrefix("..") {
            files[name] = try String(contentsOfFile: "\(volume.path)/\(name)", encoding: .utf8)
        }
        let rotated = "rotated-\(UInt64.random(in: 1...UInt64.max))"
        files["secret"] = rotated
        try volume.update(files)
        #expect(volume.currentDataFolder != before)
        #expect(
            try await eventually(within: .seconds(5)) { try await self.get("/health/status", secret: true, with: rotated).status == 200 },
            "\(plan.name): the rotated secret was not taken\n\(output)")
        #expect(try await get("/health/status", secret: true, with: old).status == 401)
        for kind in ["livenessProbe", "readinessProbe"] { #expect(await probe(kind).passed, "\(kind) after the rotation") }
        #expect(output.contains("auth secret reloaded"), "\(output.suffix(2000))")
    }

    /// SIGTERM: readiness fails at once, liveness holds through the shutdown delay, and the
    /// host exits 0 within the pod's terminationGracePeriodSeconds.
    func expectGracefulStop() async throws {
        guard let host else { return }
        let started = ContinuousClock.now
        kill(workload, SIGTERM)
        #expect(await eventually(within: .seconds(1)) { await !self.probe("readinessProbe").passed })
        #expect(await probe("livenessProbe").passed)
        let status = await host.waitForExit(within: .seconds(Double(plan.terminationGracePeriodSeconds)))
        #expect(status == 0, "\(plan.name): exit \(status.map(String.init) ?? "none") within the grace period\n\(output.suffix(1500))")
        #expect(ContinuousClock.now - started < .seconds(plan.terminationGracePeriodSeconds))
    }

    static func status(of pid: pid_t) -> [String: String] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return fields
    }
}
