// healthhost-span-bench: what a traced request's server span costs the host, without
// HTTP around it: `THREADS` threads each start and end `COUNT` server spans (the
// pipeline's calls: `startServerSpan`, `end(_:httpStatusCode:…)`) with the tracer configured from the
// OTEL_* environment, exporting to whatever collector it names (bench/README: an nginx
// `return 200` sink). Prints the process's CPU time per span (user + system, so the
// export's encoding and sends on the event loop are in it) and the exporter's counts.
// Usage: OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:18399 healthhost-span-bench [COUNT] [THREADS]
import Foundation
import HealthOTLP
import HealthTracing
import Logging
import Tracing

let arguments = CommandLine.arguments
let count = arguments.count > 1 ? Int(arguments[1]) ?? 2_000_000 : 2_000_000
let threads = arguments.count > 2 ? Int(arguments[2]) ?? 2 : 2
let logger = Logger(label: "healthhost-span-bench") { _ in SwiftLogNoOpLogHandler() }
let configured: TracingSettings?
do {
    configured = try TracingSettings.from(environment: ProcessInfo.processInfo.environment)
} catch {
    print("healthhost-span-bench: \(error)")
    exit(2)
}
guard let settings = configured else {
    print("healthhost-span-bench: set OTEL_EXPORTER_OTLP_ENDPOINT (tracing is off without it)")
    exit(2)
}
let tracer = HostTracer(settings: settings, resource: ["service.name": .string("bench")], version: "bench", logger: logger)
let fields = ServerSpan.Fields.encoded(
    EncodedSpanFields(
        name: "GET /health/ping", kind: .server,
        attributes: [
            ("http.request.method", .string("GET")), ("http.route", .string("/health/ping")),
            ("url.path", .string("/health/ping")),
        ]))
let catalog = CheckSpanCatalog(checks: [])

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// `count` spans on each of `threads` threads, started and ended one after another.
func run(_ count: Int) {
    let group = DispatchGroup()
    for _ in 0..<threads {
        group.enter()
        Thread.detachNewThread {
            for _ in 0..<count {
                if let span = tracer.startServerSpan(fields, traceParent: nil, traceState: nil) {
                    tracer.end(span, httpStatusCode: 200, catalog: catalog)
                }
            }
            group.leave()
        }
    }
    group.wait()
}

run(count / 10)  // warm-up: the threads' generators, shards and the collector connection
let cpuBefore = cpuSeconds()
let wallBefore = Date()
run(count)
let wall = Date().timeIntervalSince(wallBefore)
await tracer.shutdown(timeout: .seconds(10))
let cpu = cpuSeconds() - cpuBefore
let spans = Double(count * threads)
let counts = tracer.counts
print(
    String(
        format: "%d spans on %d threads: %.0f ns CPU per span (%.0f ns wall), exported %d, dropped %d, failed exports %d",
        count * threads, threads, cpu / spans * 1e9, wall / spans * 1e9, counts.exported, counts.dropped, counts.failedExports))
