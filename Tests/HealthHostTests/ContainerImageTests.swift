import Foundation
import HealthCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What building and running images here needs (deploy-harness.md C).
enum ContainerTooling {
    static var isAvailable: Bool {
        geteuid() == 0
            && ["/usr/bin/buildah", "/usr/bin/podman", "/usr/sbin/runc", "/usr/sbin/debootstrap", "/usr/bin/dpkg-deb"].allSatisfy {
                FileManager.default.isExecutableFile(atPath: $0)
            }
    }
}

/// packaging/Containerfile built with a real builder and run the way a pod runs it
/// (issue #39): buildah (`--isolation chroot`, vfs storage in a folder of the test's own)
/// builds it FROM a Debian bookworm base made locally (no registry is reachable: the
/// debootstrapped rootfs of Tests/Fixtures/deploy/debian-rootfs.sh, imported as
/// `docker.io/library/debian:bookworm-slim`) with the .debs `scripts/package` makes of
/// this build; Examples/kubernetes/plugin.Containerfile derives an image with a
/// third-party plugin from it. podman runs that (runc: crun cannot run containers on this
/// kernel's hybrid cgroups, deploy-harness.md C) as `--user 65532:65532 --cap-drop=ALL
/// --security-opt no-new-privileges --read-only`, config and secret mounted, on the
/// host's network, and the test probes it on 127.0.0.1.
@Suite(
    .serialized, .timeLimit(.minutes(10)),
    .enabled(if: ContainerTooling.isAvailable, "needs root, buildah, podman, runc, debootstrap and dpkg-deb"))
struct ContainerImageTests {
    private static let secret = "c0ntainer-secret-\(UInt32.random(in: 1...UInt32.max))"

    /// The container engines' settings (deploy-harness.md C.1): runc, ulimits this
    /// machine allows, host network, vfs storage under `folder`.
    private struct Engine {
        let folder: String
        let environment: [String: String]

        init(folder: String) throws {
            self.folder = folder
            try """
            [containers]
            default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
            netns = "host"
            [engine]
            runtime = "runc"
            cgroup_manager = "cgroupfs"
            events_logger = "file"

            """.write(toFile: "\(folder)/containers.conf", atomically: true, encoding: .utf8)
            try """
            [storage]
            driver = "vfs"
            graphroot = "\(folder)/graph"
            runroot = "\(folder)/run"

            """.write(toFile: "\(folder)/storage.conf", atomically: true, encoding: .utf8)
            var environment = ProcessInfo.processInfo.environment
            environment["CONTAINERS_CONF"] = "\(folder)/containers.conf"
            environment["CONTAINERS_STORAGE_CONF"] = "\(folder)/storage.conf"
            self.environment = environment
        }

        /// Runs `script` with `sh -e`, bounded by `seconds`; returns status and output.
        ///
        /// Spawned here, never through Foundation's `Process`: `podman run -d` leaves conmon
        /// running, and conmon would keep every descriptor the shell inherited, among them
        /// the socket by which Foundation learns of the exit (its wait never returned, and
        /// the suite hung). This spawn gives the shell only /dev/null and an output file
        /// and waits for it by PID.
        func sh(_ script: String, seconds: Int = 300) async throws -> (status: Int32, output: String) {
            let log = "\(folder)/sh-\(UUID().uuidString.prefix(8)).log"
            let pid = try spawnDetached(
                ["/bin/sh", "-ec", script], output: log, mode: 0o600, environment: environment, ownProcessGroup: true)
            let deadline = ContinuousClock.now + .seconds(seconds)
            var status: Int32 = 0
            while true {
                let result = waitpid(pid, &status, WNOHANG)
                if result == pid || (result == -1 && errno != EINTR) { break }
                if ContinuousClock.now > deadline {
                    kill(-pid, SIGKILL)
                    _ = waitpid(pid, &status, 0)
                    break
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: log)
            let signal = status & 0x7f
            return (signal == 0 ? (status >> 8) & 0xff : 128 + signal, output)
        }

        /// Removes every container and image, then the storage.
        func clean() async {
            _ = try? await sh(
                "podman rm -af -t 0 >/dev/null 2>&1 || true; buildah rm -a >/dev/null 2>&1 || true; podman rmi -af >/dev/null 2>&1 || true",
                seconds: 120)
            _ = try? await runOffThePool("/bin/rm", ["-rf", folder])  // no container is left to hold it
        }
    }

    private final class Timings: @unchecked Sendable {
        private var entries: [(String, Duration)] = []
        private var last = ContinuousClock.now
        func lap(_ name: String) {
            let now = ContinuousClock.now
            entries.append((name, now - last))
            last = now
        }
        var summary: String {
            entries.map { "\($0.0) \(String(format: "%.1f", Double($0.1.components.seconds) + Double($0.1.components.attoseconds) / 1e18)) s" }
                .joined(separator: ", ")
        }
    }

    @Test func theImageBuildsFromTheDebsHoldsNoSecretAndServesAsPIDOneUnprivilegedWithAWorkerPlugin() async throws {
        let folder = TestPaths.temporaryDirectory("image")
        let engine = try Engine(folder: folder)
        let timings = Timings()
        do {
            try await buildRunAndProbe(engine, folder: folder, timings: timings)
        } catch {
            Issue.record(error)
        }
        await engine.clean()
        timings.lap("clean-up")
        print("ContainerImageTests timings: \(timings.summary)")
    }

    private func buildRunAndProbe(_ engine: Engine, folder: String, timings: Timings) async throws {
        let root = TestPaths.packageRoot.path
        // The base: a debootstrapped bookworm, cached across runs, as the registry's image.
        let rootfs = try await engine.sh("'\(root)/Tests/Fixtures/deploy/debian-rootfs.sh'", seconds: 900)
        try #require(rootfs.status == 0, "\(rootfs.output)")
        let base = try #require(rootfs.output.split(separator: "\n").last.map(String.init))
        timings.lap("rootfs")
        let imported = try await engine.sh(
            "tar -C '\(base)' -c --exclude=./proc/* --exclude=./sys/* --exclude=./dev/* . | podman import - docker.io/library/debian:bookworm-slim")
        try #require(imported.status == 0, "\(imported.output)")
        timings.lap("import base")

        // The packages of this build, into the build context.
        let context = "\(folder)/context"
        let packaged = try await engine.sh(
            "mkdir -p '\(context)' && '\(root)/scripts/package' --configuration debug --output '\(context)' --fast --no-build 2>'\(folder)/package.log'"
        )
        let debs = packaged.output.split(separator: "\n").filter { $0.hasSuffix(".deb") }
        try #require(
            packaged.status == 0 && debs.contains { $0.hasSuffix(".deb") && $0.contains("/healthhost_") },
            "\(packaged.output)\n\((try? String(contentsOfFile: "\(folder)/package.log", encoding: .utf8)) ?? "")")
        timings.lap("package")

        let built = try await engine.sh(
            "buildah bud --isolation chroot -f '\(root)/packaging/Containerfile' -t localhost/healthhost:test '\(context)' 2>&1")
        try #require(built.status == 0, "\(built.output.suffix(3000))")
        timings.lap("build image")

        // The recommended plugin delivery: an image derived with the plugin in it.
        let pluginContext = "\(folder)/plugin-context"
        try FileManager.default.createDirectory(atPath: pluginContext, withIntermediateDirectories: true)
        let acme = try await PluginCompiler.build(source: "\(TestPaths.fixtures)/acme.c", fileName: "hh-acme.so")
        try FileManager.default.copyItem(atPath: acme, toPath: "\(pluginContext)/hh-acme.so")
        let derived = try await engine.sh(
            "buildah bud --isolation chroot -f '\(root)/Examples/kubernetes/plugin.Containerfile' "
                + "--build-arg HEALTHHOST_IMAGE=localhost/healthhost:test -t localhost/acme-health:test '\(pluginContext)' 2>&1")
        try #require(derived.status == 0, "\(derived.output.suffix(3000))")
        timings.lap("build derived image")

        // No layer of either image holds a secret; the config is there (the right layers
        // were looked at).
        let layers = try await engine.sh(
            """
            podman image save --format oci-dir --uncompressed -o '\(folder)/saved' localhost/acme-health:test >/dev/null
            for blob in '\(folder)/saved'/blobs/sha256/*; do
              if tar -tf "$blob" >/dev/null 2>&1; then tar -tf "$blob" | sed "s|^|$(basename "$blob" | cut -c1-12) |"; fi
            done | grep -E ' (\\./)?(etc/healthhost/|usr/local/lib/healthhost/)' || true
            rm -rf '\(folder)/saved'
            """)
        #expect(layers.status == 0, "\(layers.output)")
        #expect(layers.output.contains("etc/healthhost/healthhost.yaml"), "\(layers.output)")
        #expect(layers.output.contains("usr/local/lib/healthhost/plugins/hh-acme.so"), "\(layers.output)")
        #expect(!layers.output.contains("etc/healthhost/secret"), "a layer holds the secret:\n\(layers.output)")
        let user = try await engine.sh("podman image inspect -f '{{.Config.User}}' localhost/acme-health:test")
        #expect(user.output.trimmingCharacters(in: .whitespacesAndNewlines) == "65532:65532", "\(user.output)")
        timings.lap("inspect layers")

        // Run it as a restricted pod runs it: its config and secret mounted read-only.
        let port = try freePort()
        let config = "\(folder)/config"
        let secrets = "\(folder)/secrets"
        try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: true)
        chmod(folder, 0o755)
        try """
        listen: { host: 127.0.0.1, port: \(port) }
        auth: { secret_file: /var/run/secrets/healthhost/secret }
        http: { shutdown_delay: 0, drain_timeout: 2 }
        plugins: { paths: [/usr/lib/healthhost/plugins, /usr/local/lib/healthhost/plugins] }
        checks:
          - { name: alive, plugin: core, check: "true", groups: [liveness, readiness, startup] }
          - { name: acme-queue, plugin: acme, check: queue, groups: [readiness] }
          - { name: orphan, plugin: nagios, check: run, default: false, args: { command: "/bin/sh -c 'setsid sleep 0.2 >/dev/null 2>&1 & echo OK: left a child; exit 0'" } }

        """.write(toFile: "\(config)/healthhost.yaml", atomically: true, encoding: .utf8)
        try (Self.secret + "\n").write(toFile: "\(secrets)/secret", atomically: true, encoding: .utf8)
        chown("\(secrets)/secret", 0, 65532)
        chmod("\(secrets)/secret", 0o440)
        let name = "healthhost-test-\(getpid())"
        let started = try await engine.sh(
            "podman run -d --name \(name) --user 65532:65532 --cap-drop=ALL --security-opt no-new-privileges --read-only "
                + "--network=host -v '\(config)':/etc/healthhost:ro -v '\(secrets)':/var/run/secrets/healthhost:ro "
                + "localhost/acme-health:test")
        try #require(started.status == 0, "\(started.output)")
        do {
            try await waitUntilAnswering(port: port, "/readyz", timeout: .seconds(15))
        } catch {
            let logs = try await engine.sh("podman logs \(name) 2>&1").output
            Issue.record("the container never became ready (\(error)):\n\(logs)")
            throw error
        }
        timings.lap("run until ready")

        let inspected = try await engine.sh("podman inspect -f '{{.State.Pid}}' \(name)")
        let pid = try #require(pid_t(inspected.output.trimmingCharacters(in: .whitespacesAndNewlines)), "\(inspected.output)")
        let fields = PodRun.status(of: pid)
        #expect(fields["NSpid"]?.split(separator: "\t").last == "1", "the host is PID 1: \(fields)")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe"))?.hasSuffix("/usr/bin/healthhost") == true)
        #expect(fields["Uid"]?.split(separator: "\t").first == "65532", "\(fields)")
        #expect(fields["CapEff"] == "0000000000000000" && fields["CapBnd"] == "0000000000000000", "\(fields)")
        #expect(fields["NoNewPrivs"] == "1")

        // The third-party plugin answers from a worker (not PID 1); the secret works.
        let status = try await RawHTTPClient.request(
            port: port, "GET", "/health/status", headers: ["Authorization": "Bearer \(Self.secret)"])
        #expect(status.status == 200, "\(status.body.prefix(300))")
        let answer = try #require(status.body.range(of: "acme queue drained in pid "), "\(status.body.prefix(1200))")
        let workerPID = Int(status.body[answer.upperBound...].prefix { $0.isNumber })
        #expect(workerPID != nil && workerPID != 1, "\(status.body.prefix(1200))")
        // Orphans of a check's command are reaped by the PID-1 host.
        for _ in 0..<10 {
            let run = try await RawHTTPClient.request(
                port: port, "GET", "/health/?checks=orphan", headers: ["Authorization": "Bearer \(Self.secret)"])
            #expect(run.status == 200, "\(run.body)")
        }
        #expect(
            await eventually(within: .seconds(3)) {
                pidNamespaceMembers(of: pid).allSatisfy { $0.state != "Z" && $0.name != "sleep" }
            }, "\(pidNamespaceMembers(of: pid))")
        timings.lap("probe")

        // `podman stop`: SIGTERM to PID 1, handled, well within podman's 10 s.
        let stopping = ContinuousClock.now
        let stopped = try await engine.sh("podman stop -t 10 \(name) >/dev/null && podman inspect -f '{{.State.ExitCode}}' \(name)")
        let stopTime = ContinuousClock.now - stopping
        let logs = try await engine.sh("podman logs \(name) 2>&1").output
        #expect(stopped.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(stopped.output)\n\(logs.suffix(2000))")
        #expect(stopTime < .seconds(3), "podman stop took \(stopTime)")
        timings.lap("stop")
    }
}
