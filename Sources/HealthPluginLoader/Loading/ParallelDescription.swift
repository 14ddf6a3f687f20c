import Dispatch
import HealthCore
import HealthPOSIX
import NIOConcurrencyHelpers

/// Plugin files described by their workers at once rather than one after another: a
/// worker's start (exec, the Swift runtime, loading the file) takes 15–25 ms, so a host
/// with the seven bundled plugins spent ~150 ms starting workers in a row before its
/// first answer. At most ``maximumAtOnce`` workers start together.
struct ParallelDescription {
    /// A file's worker, running, with what it said about the file.
    struct Described {
        let worker: PluginWorker
        let descriptor: PluginDescriptor
        let sha256: String
    }

    /// Workers starting at the same time at most.
    static let maximumAtOnce = 8

    /// Describes each of `files` in a worker of its own made by `makeWorker`; the result
    /// for `files[i]` is at `i`. Runs on threads of its own (the waits are blocking).
    static func describe(
        _ files: [String], makeWorker: @escaping @Sendable (String) -> PluginWorker
    ) -> [Result<Described, PluginLoadError>] {
        let results = NIOLockedValueBox([Result<Described, PluginLoadError>?](repeating: nil, count: files.count))
        let next = NIOLockedValueBox(0)
        let finished = DispatchSemaphore(value: 0)
        @Sendable func work() {
            while true {
                let index = next.withLockedValue { next -> Int? in
                    guard next < files.count else { return nil }
                    defer { next += 1 }
                    return next
                }
                guard let index else { return }
                let worker = makeWorker(files[index])
                let result: Result<Described, PluginLoadError>
                do throws(PluginLoadError) {
                    let (descriptor, sha256) = try worker.describe()
                    result = .success(Described(worker: worker, descriptor: descriptor, sha256: sha256))
                } catch {
                    result = .failure(error)
                }
                results.withLockedValue { $0[index] = result }
            }
        }
        let threads = min(maximumAtOnce, files.count)
        var started = 0
        for _ in 0..<threads {
            if DetachedThread.start(
                name: "hh-describe",
                {
                    work()
                    finished.signal()
                })
            {
                started += 1
            }
        }
        if started == 0 { work() }  // no thread to be had: one after another, here
        for _ in 0..<started { finished.wait() }
        return results.withLockedValue { $0 }.enumerated().map { index, result in
            result ?? .failure(PluginLoadError(.workerFailed, path: files[index], "the plugin was not described"))
        }
    }
}
