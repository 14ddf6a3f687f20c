import Foundation
import HealthCore
import HealthPOSIX
import Testing

/// The footprint issue: the serving process maps no Foundation, no ICU and not even
/// FoundationEssentials with the bundled plugins' folder, the Swift `system` plugin
/// included (neither it nor the SDK imports FoundationEssentials), and neither does a
/// plugin worker; the bundled plugins no configured check uses are not mapped at all.
/// Read from /proc/PID/maps of a real host serving the README's example config.
@Suite(.timeLimit(.minutes(2))) struct FootprintTests {
    /// Libraries that Foundation and ICU bring (`libFoundation.so`,
    /// `libFoundationInternationalization.so`, `lib_FoundationICU.so`, a system `libicu*`),
    /// and FoundationEssentials, which neither the host, nor the SDK, nor the bundled
    /// plugins import.
    private static let foundationLibraries = [
        "libFoundation.so", "libFoundationInternationalization", "FoundationICU", "libicu", "libFoundationEssentials",
    ]

    /// `Examples/healthhost.yaml` on a free port with the build's plugin folder; with
    /// `isolatingSystem`, the `system` plugin in a worker process.
    private static func example(isolatingSystem: Bool) throws -> String {
        let example = try String(
            contentsOfFile: TestPaths.packageRoot.appendingPathComponent("Examples/healthhost.yaml").path, encoding: .utf8)
        let pluginFolder = URL(fileURLWithPath: TestPaths.builtLibrary("libhh-core.so")).deletingLastPathComponent().path
        let yaml =
            example
            .replacingOccurrences(of: "port: 8080", with: "port: 0")
            .replacingOccurrences(
                of: "paths: [../.build/debug]",
                with: "paths: [\"\(pluginFolder)\"]" + (isolatingSystem ? "\n  isolation: { system: process }" : ""))
        #expect(yaml != example)
        return yaml
    }

    @Test func theExampleHostMapsNoFoundationAtAllWithTheSwiftSystemPluginInProcess() async throws {
        let host = try ServedHost(yaml: try Self.example(isolatingSystem: false))
        try await host.waitUntilServing()
        // Every default check runs once, the Swift `system` plugin's disk and memory among them.
        let health = try await RawHTTPClient.request(port: host.port, "GET", "/health/?auth=demo-secret")
        #expect(health.body.contains("\"disk\":true"), "\(health.body)")

        let maps = try Self.mappedFiles(of: host.process.processIdentifier)
        #expect(maps.contains { $0.hasSuffix("/libswiftCore.so") }, "the maps were read: \(maps)")
        #expect(maps.contains { $0.hasSuffix("/libhh-core.so") }, "the bundled core plugin runs in the host")
        #expect(maps.contains { $0.hasSuffix("/libhh-system.so") }, "the bundled Swift plugin runs in the host")
        // The example configures no check of these: described by a short-lived worker,
        // never opened here, so neither are libcurl, libpq, libmariadb.
        for plugin in ["net", "postgres", "mysql", "redis", "nagios"] {
            #expect(!maps.contains { $0.hasSuffix("/libhh-\(plugin).so") }, "the unused \(plugin) plugin is mapped: \(maps)")
        }
        for library in ["libcurl", "libpq.so", "libmariadb"] {
            #expect(!maps.contains { $0.contains(library) }, "\(library) is mapped: \(maps)")
        }
        for library in Self.foundationLibraries {
            #expect(!maps.contains { $0.contains(library) }, "the serving host maps \(library): \(maps)")
        }
        #expect(Self.children(of: host.process.processIdentifier).isEmpty, "every plugin runs in the host")
        _ = try await host.terminate()
    }

    @Test func aPluginWorkerMapsNoFoundationEither() async throws {
        let host = try ServedHost(yaml: try Self.example(isolatingSystem: true))
        try await host.waitUntilServing()
        let health = try await RawHTTPClient.request(port: host.port, "GET", "/health/?auth=demo-secret")
        #expect(health.body.contains("\"disk\":true"), "\(health.body)")
        let maps = try Self.mappedFiles(of: host.process.processIdentifier)
        #expect(!maps.contains { $0.hasSuffix("/libhh-system.so") }, "moved into a worker: \(maps)")
        let workers = Self.children(of: host.process.processIdentifier)
        #expect(workers.count == 1, "the system plugin's worker")
        for worker in workers {
            let workerMaps = try Self.mappedFiles(of: worker)
            #expect(workerMaps.contains { $0.hasSuffix("/libhh-system.so") }, "\(workerMaps)")
            for library in Self.foundationLibraries {
                #expect(!workerMaps.contains { $0.contains(library) }, "worker \(worker) maps \(library): \(workerMaps)")
            }
        }
        _ = try await host.terminate()
    }

    /// The files mapped into `pid`, from /proc/PID/maps.
    private static func mappedFiles(of pid: Int32) throws -> Set<String> {
        // Read to the end: /proc files have no size for Foundation's reader to go by.
        let maps = try FileReading.text(atPath: "/proc/\(pid)/maps")
        return Set(
            maps.split(separator: "\n").compactMap { line in
                line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(5).first.map(String.init)
            }.filter { $0.hasPrefix("/") })
    }

    /// The processes whose parent is `pid`, from /proc/*/stat.
    private static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { candidate in
            guard let stat = try? FileReading.text(atPath: "/proc/\(candidate)/stat"),
                let close = stat.lastIndex(of: ")")
            else { return false }
            // After "(comm)": state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == pid
        }
    }
}
