import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Runs checks: each call on a thread of the runner's own pool (never an event loop or
/// the Swift concurrency pool), all checks of one request at once, each bounded by its
/// timeout.
///
/// A call that outlives its timeout is reported as failed; its thread is not killed
/// (a thread cannot be killed safely) and returns to the pool when the call returns.
public final class CheckRunner: Sendable {
    private let pool: NIOThreadPool
    private let timers: any EventLoop

    /// Creates a runner with `threads` worker threads and starts them.
    public init(threads: Int = 16, timerLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any()) {
        self.pool = NIOThreadPool(numberOfThreads: max(1, threads))
        self.timers = timerLoop
        pool.start()
    }

    /// Stops accepting work: queued calls are answered "not run", and each worker thread
    /// exits when its current call returns. Does not wait, so a hung call cannot stop the
    /// host from exiting.
    public func shutdown() {
        pool.shutdownGracefully { _ in }
    }

    /// Runs all `checks` concurrently and returns their reports in the same order.
    public func run(_ checks: [RegisteredCheck]) async -> [CheckReport] {
        await withTaskGroup(of: (Int, CheckReport).self) { group in
            for (index, check) in checks.enumerated() {
                group.addTask { (index, await self.run(check)) }
            }
            var reports = [CheckReport?](repeating: nil, count: checks.count)
            for await (index, report) in group { reports[index] = report }
            return reports.compactMap { $0 }
        }
    }

    /// Runs one check, bounded by its timeout.
    public func run(_ check: RegisteredCheck) async -> CheckReport {
        let clock = ContinuousClock()
        let started = clock.now
        let invocation = CheckInvocation(configuredName: check.name, timeout: check.timeout)
        let result: CheckResult = await withCheckedContinuation { continuation in
            let answered = NIOLockedValueBox(false)
            let claim: @Sendable () -> Bool = {
                answered.withLockedValue { done in
                    defer { done = true }
                    return !done
                }
            }
            let timer = timers.scheduleTask(in: .nanoseconds(check.timeout.nanoseconds)) {
                if claim() {
                    continuation.resume(
                        returning: .fail("timed out: no result within \(check.timeout.humanReadable)"))
                }
            }
            pool.submit { state in
                let result: CheckResult
                switch state {
                case .active: result = check.implementation.run(invocation)
                case .cancelled: result = .fail("not run: the host is shutting down")
                }
                if claim() {
                    timer.cancel()
                    continuation.resume(returning: result)
                }
            }
        }
        return CheckReport(name: check.name, result: result, finishedAt: Date(), duration: clock.now - started)
    }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (whole, attoseconds) = components
        let (product, overflow) = whole.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return whole < 0 ? .min : .max }
        return product &+ attoseconds / 1_000_000_000
    }
}
