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
/// failed export is not retried. Spans arrive encoded (``SpanWriter``); a batch is their
/// bytes one after the other.
final class SpanExporter: Sendable {
    /// Encoded spans, and how many.
    private struct Batch {
        var bytes: [UInt8] = []
        var count = 0
    }

    private struct State {
        /// Spans not yet in a full batch.
        var filling = Batch()
        /// Full batches, oldest first.
        var full: [Batch] = []
        /// Spans in `filling` and `full`.
        var waiting = 0
        var isExporting = false
        var isStopped = false
        var dropped = 0
        var exported = 0
        var failedExports = 0
        var lastFailureLogged: NIODeadline?
        var timer: Scheduled<Void>?
    }

    private let settings: TracingSettings
    private let envelope: OTLPTraceEncoding.Envelope
    private let logger: Logger
    private let eventLoop: any EventLoop
    private let state = Mutex(State())
    private let headers: HTTPHeaders

    init(
        settings: TracingSettings, resource: [(key: String, value: OTLPTraceEncoding.Value)], version: String, logger: Logger,
        eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any()
    ) {
        self.settings = settings
        envelope = OTLPTraceEncoding.Envelope(resource: resource, scopeVersion: version)
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

    /// Queues the spans `spans` wrote (one request's, say); drops them when they do not
    /// all fit in the queue.
    func enqueue(_ spans: SpanWriter) {
        guard spans.count > 0 else { return }
        let exportNow = state.withLock { state -> Bool in
            guard !state.isStopped else { return false }
            guard state.waiting + spans.count <= settings.maxQueueSize else {
                state.dropped += spans.count
                return false
            }
            if state.filling.count > 0 && state.filling.count + spans.count > settings.maxExportBatchSize {
                state.full.append(state.filling)
                state.filling = Batch()
            }
            if state.filling.bytes.isEmpty {
                // Room for a typical batch (~200 bytes a span), at most 1 MiB up front
                // whatever OTEL_BSP_MAX_EXPORT_BATCH_SIZE says: a bigger one grows as it fills.
                state.filling.bytes.reserveCapacity(min(settings.maxExportBatchSize * 200, 1 << 20))
            }
            state.filling.bytes.append(contentsOf: spans.protobuf.bytes)
            state.filling.count += spans.count
            state.waiting += spans.count
            if state.filling.count >= settings.maxExportBatchSize {
                state.full.append(state.filling)
                state.filling = Batch()
            }
            return !state.full.isEmpty && !state.isExporting
        }
        if exportNow { eventLoop.execute { self.exportBatch() } }
    }

    /// Stops the schedule and drops what is queued (the host is going away without a flush).
    func stop() {
        let timer = state.withLock { state in
            state.isStopped = true
            state.filling = Batch()
            state.full = []
            state.waiting = 0
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
            let (pending, exporting) = state.withLock { ($0.waiting, $0.isExporting) }
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
        let batch = state.withLock { state -> Batch in
            guard !state.isExporting, state.waiting > 0 else { return Batch() }
            state.isExporting = true
            let batch: Batch
            if state.full.isEmpty {
                batch = state.filling
                state.filling = Batch()
            } else {
                batch = state.full.removeFirst()
            }
            state.waiting -= batch.count
            return batch
        }
        guard batch.count > 0 else { return }
        let body = envelope.request(spans: batch.bytes)
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
                    return (!state.full.isEmpty, logIt, state.dropped)
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
