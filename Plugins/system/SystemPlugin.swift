// The bundled `system` plugin, written with the Swift SDK: disk space, memory, load and
// heartbeat-file checks, each useful in production as is. `disk` and `heartbeat` take
// per-check arguments (one configured check per path); the machine-wide memory and load
// thresholds come from `plugins.config.system` (see SystemSettings.swift and README.md).
#if canImport(Glibc)
import Glibc
#endif
public import HealthPluginSDK
import Synchronization

let settings = Mutex(SystemSettings())

let plugin = Plugin(name: "system", version: "1.0.0", summary: "Disk space, memory, load and heartbeat files.") {
    Check(
        "disk", summary: "The file system is (nearly) full.", isDefault: true,
        parameters: .string("path", default: "/", summary: "Any path on the file system to watch."),
        .double("warn_free_percent", default: 10, summary: "Warn below this much free space."),
        .double("fail_free_percent", default: 5, summary: "Fail below this much free space.")
    ) { path, warnBelow, failBelow in
        guard failBelow <= warnBelow else {
            return .fail("misconfigured: fail_free_percent (\(failBelow)) must be at most warn_free_percent (\(warnBelow))")
        }
        let space = try SystemProbes.diskSpace(at: path)
        let text = "\(Human.bytes(space.availableBytes)) free of \(Human.bytes(space.totalBytes)) (\(Human.percent(space.freePercent))) at \(path)"
        return grade(space.freePercent, warnBelow: warnBelow, failBelow: failBelow, text)
            .observed((space.freePercent * 10).rounded() / 10, unit: "percent")
    }
    Check("memory", summary: "The machine is (nearly) out of memory.", isDefault: true) {
        let limits = settings.withLock { $0.memory }
        let memory = try SystemProbes.memory()
        let text = "\(Human.bytes(memory.availableBytes)) available of \(Human.bytes(memory.totalBytes)) (\(Human.percent(memory.availablePercent)))"
        return grade(memory.availablePercent, warnBelow: limits.warnAvailablePercent, failBelow: limits.failAvailablePercent, text)
            .observed((memory.availablePercent * 10).rounded() / 10, unit: "percent")
    }
    Check("load", summary: "More runnable work than the CPUs can take.", isDefault: true) {
        let limits = settings.withLock { $0.load }
        let (average, cores) = try SystemProbes.load(window: limits.window)
        let perCore = average / Double(cores)
        let text = "load \(Human.fixed(average, 2)) over \(limits.window) min on \(cores) cores (\(Human.fixed(perCore, 2)) per core)"
        let result: CheckResult =
            perCore >= limits.failPerCore
            ? .fail(text + ", limit \(Human.fixed(limits.failPerCore, 2))")
            : perCore >= limits.warnPerCore ? .warn(text + ", warning at \(Human.fixed(limits.warnPerCore, 2))") : .pass(text)
        return result.observed((perCore * 100).rounded() / 100, unit: "per core")
    }
    Check(
        "heartbeat", summary: "A periodic job (cron, backup) stopped touching its file.",
        parameters: .string("path", summary: "The file the job touches when it succeeds."),
        .double("max_age", default: 300, summary: "Seconds after which the file counts as stale.")
    ) { path, maxAge in
        guard maxAge > 0 else { return .fail("misconfigured: max_age must be above 0 seconds, found \(maxAge)") }
        guard let age = try SystemProbes.age(of: path) else { return .fail("no heartbeat file at \(path)") }
        let text = "\(path) last touched \(Human.seconds(max(0, age))) ago"
        let result: CheckResult = age > maxAge ? .fail("\(text), limit \(Human.seconds(maxAge))") : .pass(text)
        return result.observed(max(0, age.rounded()), unit: "s")
    }
}
.onStart(decoding: SystemSettings.self) { decoded, _ in
    try decoded.validate()
    settings.withLock { $0 = decoded }
}

/// Pass at or above `warnBelow`, warn below it, fail below `failBelow`.
func grade(_ value: Double, warnBelow: Double, failBelow: Double, _ text: String) -> CheckResult {
    if value < failBelow { return .fail("\(text), below the limit of \(Human.percent(failBelow))") }
    if value < warnBelow { return .warn("\(text), below the warning level of \(Human.percent(warnBelow))") }
    return .pass(text)
}

@c(hh_plugin_entry_v1) public func entry() -> UnsafePointer<PluginDescriptor>? { plugin.export() }
