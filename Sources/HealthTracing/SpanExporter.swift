import HealthCore
import HealthHTTP
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Batches finished spans and POSTs them to the collector (OTLP/HTTP, protobuf), as the
/// OpenTelemetry batch span processor does: every `scheduleDelay`, or as soon as a batch
/// is full; at most one export in flight; at most `maxQueueSize` spans waiting. A slow
/// or dead collector costs nothing but dropped spans: nothing waits for it, and a
/// failed export is not retried.
final class SpanExporter: Sendable {
    private struct State {
        var queue: [FinishedSpan] = []
        var isExporting = false
        var isStopped = false
        var dropped = 0
        var exported = 0
        var failedExports = 0
        var lastFailureLogged: NIODeadline?
        var timer: Scheduled<Void>?
    }

    private let settings: TracingSettings
    private let resource: [(key: String, value: FinishedSpan.Value)]
    private let version: String
    private let logger: Logger
    private let eventLoop: any EventLoop
    private let state = Mutex(State())
    private let headers: HTTPHeaders

    init(
        settings: TracingSettings, resource: [(key: String, value: FinishedSpan.Value)], version: String, logger: Logger,
        eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any()
    ) {
        self.settings = settings
        self.resource = resource
        self.version = version
        self.logger = logger
        self.eventLoop = eventLoop
        var headers = HTTPHeaders()
        for (name, value) in settings.headers { headers.add(name: name, value: value) }
        headers.replaceOrAdd(name: "Content-Type", value: "application/x-protobuf")
        self.headers = headers
        scheduleNext()
    }

    /// Spans exported, dropped (queue full, export failed) and failed exports so far.
    var counts: (exported: Int, dropped: Int, failedExports: Int) {
        state.withLock { ($0.exported, $0.dropped, $0.failedExports) }
    }

    /// Queues a span; drops it when the queue is full.
    func enqueue(_ span: FinishedSpan) {
        let exportNow = state.withLock { state -> Bool in
            guard !state.isStopped else { return false }
            guard state.queue.count < settings.maxQueueSize else {
                state.dropped += 1
                return false
            }
            state.queue.append(span)
            return state.queue.count >= settings.maxExportBatchSize && !state.isExporting
        }
        if exportNow { eventLoop.execute { self.exportBatch() } }
    }

    /// Stops the schedule and drops what is queued (the host is going away without a flush).
    func stop() {
        let timer = state.withLock { state in
            state.isStopped = true
            state.queue = []
            return state.timer
        }
        timer?.cancel()
    }

    /// Exports what is queued (batch after batch) and stops the schedule; returns when
    /// done or after `timeout`.
    func shutdown(timeout: Duration) async {
        let timer = state.withLock { state in
            state.isStopped = true
            return state.timer
        }
        timer?.cancel()
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let (pending, exporting) = state.withLock { ($0.queue.count, $0.isExporting) }
            if pending == 0 && !exporting { return }
            if !exporting { eventLoop.execute { self.exportBatch() } }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private func scheduleNext() {
        let delay = TimeAmount.nanoseconds(settings.scheduleDelay.nanoseconds)
        state.withLock { state in
            guard !state.isStopped else { return }
            state.timer = eventLoop.scheduleTask(in: delay) { [self] in
                exportBatch()
                scheduleNext()
            }
        }
    }

    /// Runs on the event loop.
    private func exportBatch() {
        let batch = state.withLock { state -> [FinishedSpan] in
            guard !state.isExporting, !state.queue.isEmpty else { return [] }
            state.isExporting = true
            guard state.queue.count > settings.maxExportBatchSize else {
                defer { state.queue = [] }
                return state.queue
            }
            let batch = Array(state.queue.prefix(settings.maxExportBatchSize))
            state.queue.removeFirst(settings.maxExportBatchSize)
            return batch
        }
        guard !batch.isEmpty else { return }
        let body = OTLPTraceEncoding.request(resource: resource, scopeVersion: version, spans: batch)
        let timeout = TimeAmount.nanoseconds(settings.exportTimeout.nanoseconds)
        HTTPClient.post(settings.endpoint, headers: headers, body: body, timeout: timeout, group: eventLoop)
            .whenComplete { [self] result in
                let failure: String?
                switch result {
                case .success(let response) where (200..<300).contains(response.status): failure = nil
                case .success(let response): failure = "the collector answered \(response.status)"
                case .failure(let error): failure = "\(error)"
                }
                let (moreWaiting, logFailure, dropped) = state.withLock { state -> (Bool, Bool, Int) in
                    state.isExporting = false
                    var logIt = false
                    if failure != nil {
                        state.failedExports += 1
                        state.dropped += batch.count
                        let now = NIODeadline.now()
                        if state.lastFailureLogged.map({ now - $0 > .seconds(60) }) ?? true {
                            state.lastFailureLogged = now
                            logIt = true
                        }
                    } else {
                        state.exported += batch.count
                    }
                    return (state.queue.count >= settings.maxExportBatchSize, logIt, state.dropped)
                }
                if let failure, logFailure {
                    logger.warning(
                        "span export failed; its spans are dropped (logged once a minute)",
                        metadata: [
                            "otlp.endpoint": "\(settings.endpoint)", "otlp.error": "\(failure)",
                            "otlp.dropped_spans": "\(dropped)",
                        ])
                }
                if moreWaiting { exportBatch() }
            }
    }
}
