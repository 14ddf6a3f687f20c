// healthhost-bench: the cost of one in-process plugin check call, measured three ways:
//   direct   PluginCheck.run on the calling thread (the C call with host buffers)
//   engine   CheckEngine.report for an uncached check (a hop to a worker thread and back)
//   cached   CheckEngine.report for a cached check (a lock and a copy)
//   ffi      PluginCheck.run of `ok_args` (three typed parameters as C arguments, libffi),
//            when the plugin has it
//   worker   with HEALTHHOST=path/to/healthhost: the same check isolated in a worker
//            process, one call at a time, p50 and p99 of 20,000 round trips
// Usage: healthhost-bench PLUGIN.so [CHECK]   (bench/engine.sh builds and runs it)
import Foundation
import HealthCore
import HealthPluginLoader
import Logging

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: healthhost-bench PLUGIN.so [CHECK]")
    exit(2)
}
let logger = Logger(label: "healthhost-bench") { _ in SwiftLogNoOpLogHandler() }
let plugins = try PluginLoader(policy: .failFast, logger: logger).load(paths: [arguments[1]]) { _ in PluginSettings() }
guard let plugin = plugins.plugins.first, let check = plugin.implementation(of: arguments.count > 2 ? arguments[2] : "ok")
else {
    print("healthhost-bench: no such plugin or check")
    exit(1)
}

let clock = ContinuousClock()
func nanoseconds(_ elapsed: Duration, per iterations: Int) -> Double {
    let (seconds, attoseconds) = elapsed.components
    return (Double(seconds) * 1e9 + Double(attoseconds) / 1e9) / Double(iterations)
}

/// Times `body` synchronously (no executor hops between iterations).
func nanosecondsPerCall(_ iterations: Int, _ body: () -> Void) -> Double {
    let start = clock.now
    for _ in 0..<iterations { body() }
    return nanoseconds(clock.now - start, per: iterations)
}

/// Times `engine.report(for:)` from one task, without leaving it between iterations.
@concurrent func nanosecondsPerReport(_ iterations: Int, _ engine: CheckEngine, _ check: RegisteredCheck) async -> Double {
    let start = clock.now
    for _ in 0..<iterations { _ = await engine.report(for: check) }
    return nanoseconds(clock.now - start, per: iterations)
}

let invocation = CheckInvocation(configuredName: "ok", timeout: .seconds(5))
_ = nanosecondsPerCall(10_000) { _ = check.run(invocation) }
let direct = nanosecondsPerCall(1_000_000) { _ = check.run(invocation) }
var viaFFI: Double?
if let parameterized = try plugin.implementation(of: "ok_args")?.binding([.string("/var/lib"), .int(10), .double(0.5)]) {
    _ = nanosecondsPerCall(10_000) { _ = parameterized.run(invocation) }
    viaFFI = nanosecondsPerCall(1_000_000) { _ = parameterized.run(invocation) }
}

var registry = CheckRegistry()
let fresh = RegisteredCheck(name: "fresh", implementation: check)
let cached = RegisteredCheck(name: "cached", implementation: check, refresh: RefreshPolicy(successTTL: .seconds(3600)))
try registry.register(fresh)
try registry.register(cached)
let engine = CheckEngine(registry: registry, threads: 2, logger: logger)
_ = await nanosecondsPerReport(1_000, engine, fresh)
let viaEngine = await nanosecondsPerReport(50_000, engine, fresh)
let viaCache = await nanosecondsPerReport(1_000_000, engine, cached)
engine.shutdown()

/// p50 and p99 in nanoseconds of single isolated calls (a round trip to the worker).
var workerPercentiles: (p50: Double, p99: Double)?
if let executable = ProcessInfo.processInfo.environment["HEALTHHOST"] {
    let isolation = IsolationPolicy(defaultIsolation: .process, workerExecutable: executable)
    let isolated = try PluginLoader(policy: .failFast, logger: logger, isolation: isolation)
        .load(paths: [arguments[1]]) { _ in PluginSettings() }
    if let remote = isolated.plugins.first?.implementation(of: arguments.count > 2 ? arguments[2] : "ok") {
        for _ in 0..<1_000 { _ = remote.run(invocation) }
        var samples: [Double] = []
        samples.reserveCapacity(20_000)
        for _ in 0..<20_000 {
            let start = clock.now
            _ = remote.run(invocation)
            samples.append(nanoseconds(clock.now - start, per: 1))
        }
        samples.sort()
        workerPercentiles = (samples[samples.count / 2], samples[samples.count * 99 / 100])
    }
    isolated.shutdownAll()
}

func format(_ value: Double) -> String { String(Int(value.rounded())) }
print("call_direct_ns \(format(direct))")
if let viaFFI { print("call_direct_ffi_3_args_ns \(format(viaFFI))") }
print("call_engine_uncached_ns \(format(viaEngine))")
print("call_engine_cached_ns \(format(viaCache))")
if let workerPercentiles {
    print("call_worker_p50_ns \(format(workerPercentiles.p50))")
    print("call_worker_p99_ns \(format(workerPercentiles.p99))")
}
