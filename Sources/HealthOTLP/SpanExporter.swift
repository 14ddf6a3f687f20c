import HealthCore
import HealthHTTP
import HealthPOSIX
package import Logging
package import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Batches finished spans and POSTs them to the collector (OTLP/HTTP, protobuf), as the
/// OpenTelemetry batch span processor does: every `scheduleDelay`, or as soon as a batch
/// is full; at most one export in flight; at most `maxQueueSize` spans waiting in full
/// batches (and a batch filling per recording thread). A slow or dead collector costs
/// nothing but dropped spans: nothing waits for it, and an export that failed for now
/// (429, 502, 503, 504, no answer) is tried again with back-off only within its own
/// `OTEL_EXPORTER_OTLP_TIMEOUT` (``ExportRetryPolicy``), while later batches queue.
///
/// Spans come in per thread (``ThreadShards``): the pipeline's as ``SpanRecord``s, encoded
/// here when their batch goes out, others encoded already. A request's spans come in
/// together and go out in the same export.
package final class SpanExporter: SpanExporting {
    private struct State {
        /// Full batches, oldest first.
        var full: [PendingSpans] = []
        /// Spans in `full`.
        var waiting = 0
        var isExporting = false
        var isStopped = false
        var counts = SpanExportCounts()
        var lastFailureLogged: NIODeadline?
        var timer: Scheduled<Void>?
        /// The next attempt of an export that failed for now.
        var retry: Scheduled<Void>?
        /// The memory batches are encoded in and sent from, kept from one export to the
        /// next (a fresh 100 KB or two a batch was page faults and madvise calls). The send
        /// buffer is shared with the channel while an export is in flight and unique again
        /// by the next one (one at a time).
        var encoding: [UInt8] = []
        var sending = ByteBuffer()
    }

    private let settings: SpanExportSettings
    private let envelope: OTLPTraceEncoding.Envelope
    private let logger: Logger
    private let eventLoop: any EventLoop
    private let state = Mutex(State())
    /// The export queue's entrance, one shard per recording thread: each event loop
    /// appends to its own under a lock nobody else takes (but the exporter, once a
    /// schedule delay), so the loops do not bounce one lock's cache line between the cores
    /// on every traced request; a shard goes to the queue whole when it holds a batch.
    /// Sixteen, so that the event loops and the concurrency pool's threads (a few per
    /// core) seldom share one.
    private let shards = ThreadShards<PendingSpans>(count: 16) { PendingSpans() }
    private let headers: HTTPHeaders
    /// One connection to the collector, kept open between exports (NIO's for `http://`,
    /// libcurl's for `https://`).
    private let client: any SpanExportTransport
    /// With `OTEL_EXPORTER_OTLP_COMPRESSION=gzip`: where batches are encoded and compressed.
    private let gzip: GzipBatches?
    /// When a failed export is sent again.
    private let retryPolicy = ExportRetryPolicy()

    /// An exporter to `settings.endpoint`, its spans' resource being `resource` and its
    /// instrumentation scope's version `version`; exports run on `eventLoop`.
    package init(
        settings: SpanExportSettings, resource: [(key: String, value: OTLPTraceEncoding.Value)], version: String, logger: Logger,
        eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any()
    ) {
        self.settings = settings
        envelope = OTLPTraceEncoding.Envelope(resource: resource, scopeVersion: version)
        self.logger = logger
        self.eventLoop = eventLoop
        var headers = HTTPHeaders()
        for (name, value) in settings.headers { headers.add(name: name, value: value) }
        headers.replaceOrAdd(name: "Content-Type", value: "application/x-protobuf")
        switch settings.compression {
        case .none:
            gzip = nil
        case .gzip:
            headers.replaceOrAdd(name: "Content-Encoding", value: "gzip")
            gzip = GzipBatches()
        }
        self.headers = headers
        client =
            settings.endpoint.isHTTPS
            ? HTTPSExportClient(settings.endpoint, tls: settings.tls, eventLoop: eventLoop)
            : KeepAliveHTTPClient(settings.endpoint, eventLoop: eventLoop)
        scheduleNext()
    }

    /// Spans exported, queued and dropped, and failed exports, so far.
    package var counts: SpanExportCounts {
        state.withLock { state in
            var counts = state.counts
            counts.queued = state.waiting
            return counts
        }
    }

    /// Queues `count` spans that `write` adds (one request's) to the calling thread's
    /// shard, in the same batch; a shard holding a full batch goes to the export queue.
    package func record(count: Int, _ write: (inout PendingSpans) -> Void) {
        guard count > 0 else { return }
        let batchSize = settings.maxExportBatchSize
        let (first, second) = shards.withCurrent { pending -> (PendingSpans?, PendingSpans?) in
            var first: PendingSpans?
            if pending.count > 0 && pending.count + count > batchSize {
                first = pending
                pending = PendingSpans()
            }
            pending.reserveRecords(forBatchOf: batchSize)
            write(&pending)
            return (first, pending.takeBatch(of: batchSize))
        }
        if let first { submit(first) }
        if let second { submit(second) }
    }

    /// Puts a batch in the export queue, or drops it when the queue has no room for it.
    private func submit(_ batch: PendingSpans) {
        let exportNow = state.withLock { state -> Bool in
            guard !state.isStopped else { return false }
            guard state.waiting + batch.count <= settings.maxQueueSize else {
                state.counts.droppedQueueFull += batch.count
                return false
            }
            state.full.append(batch)
            state.waiting += batch.count
            return !state.isExporting
        }
        if exportNow { eventLoop.execute { self.exportBatch() } }
    }

    /// Moves every shard's spans to the export queue (on the schedule, and at shutdown).
    private func drainShards() {
        for shard in shards.shards {
            let batch = shard.value.withLock { pending -> PendingSpans? in
                guard pending.count > 0 else { return nil }
                defer { pending = PendingSpans() }
                return pending
            }
            if let batch { submit(batch) }
        }
    }

    /// Stops the schedule and drops what is queued (the host is going away without a flush).
    package func stop() {
        let (timer, retry) = state.withLock { state in
            state.isStopped = true
            state.full = []
            state.waiting = 0
            return (state.timer, state.retry)
        }
        timer?.cancel()
        retry?.cancel()
        for shard in shards.shards { shard.value.withLock { $0 = PendingSpans() } }
        client.close()
    }

    /// Exports what is queued (batch after batch) and stops the schedule; returns when
    /// done or after `timeout`.
    package func shutdown(timeout: Duration) async {
        drainShards()
        let timer = state.withLock { state in
            state.isStopped = true
            return state.timer
        }
        timer?.cancel()
        let deadline = ContinuousClock.now + timeout
        defer {
            // An export waiting to be tried again past the flush's time is dropped with the host.
            state.withLock { $0.retry }?.cancel()
            client.close()
        }
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
                drainShards()
                exportBatch()
                scheduleNext()
            }
        }
    }

    /// Runs on the event loop.
    private func exportBatch() {
        // Swapped out, not copied: a second reference would make the reused memory shared,
        // and the first write to it a fresh copy.
        var batch = PendingSpans()
        var encoding: [UInt8] = []
        var body = ByteBuffer()
        let ready = state.withLock { state -> Bool in
            guard !state.isExporting, !state.full.isEmpty else { return false }
            state.isExporting = true
            batch = state.full.removeFirst()
            state.waiting -= batch.count
            if gzip == nil {  // a gzip batch has memory of its own
                swap(&encoding, &state.encoding)
                swap(&body, &state.sending)
            }
            return true
        }
        guard ready else { return }
        let count = batch.count
        if let gzip {
            // Compressing a batch takes a few hundred microseconds (0.3 ms for 512 spans
            // here): not on an event loop that serves requests.
            let spans = batch
            batch = PendingSpans()
            NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) { [envelope] in
                try gzip.body(of: spans, in: envelope)
            }.whenComplete { [self] result in
                switch result {
                case .success(let body): post(body, count: count)
                case .failure(let error): finish(count: count, failure: "gzip: \(error)")
                }
            }
            return
        }
        let start = envelope.request(spans: batch, into: &encoding)
        body.clear()
        body.writeBytes(encoding[start...])
        batch = PendingSpans()  // its records go now, not when the export ends
        state.withLock { state in (state.encoding, state.sending) = (encoding, body) }
        post(body, count: count)
    }

    /// Sends `body`, a batch of `count` spans, to the collector; again after a transient
    /// failure while the export's time lasts (``ExportRetryPolicy``), never once the
    /// exporter is stopping. `attempt` counts from 1; `deadline` is when the export's time
    /// (`OTEL_EXPORTER_OTLP_TIMEOUT`, from its first attempt) runs out.
    private func post(_ body: ByteBuffer, count: Int, attempt: Int = 1, deadline: NIODeadline? = nil) {
        let deadline = deadline ?? .now() + .nanoseconds(settings.exportTimeout.nanoseconds)
        client.post(headers: headers, body: body, timeout: deadline - .now())
            .whenComplete { [self] result in
                let failure: String
                var retryAfter: String?
                switch result {
                case .success(let response) where (200..<300).contains(response.status):
                    finish(count: count, failure: nil)
                    return
                case .success(let response):
                    failure = "the collector answered \(response.status)"
                    guard ExportRetryPolicy.isTransient(status: response.status) else {
                        finish(count: count, failure: failure)
                        return
                    }
                    retryAfter = response.headers.first(name: "Retry-After")
                case .failure(let error as ExportRequestError) where !error.isTransient:
                    finish(count: count, failure: error.description)  // a certificate refused, say
                    return
                case .failure(let error):
                    failure = "\(error)"  // no answer: a refused or broken connection, or the time ran out
                }
                let delay = retryPolicy.delay(after: attempt, retryAfter: retryAfter, jitter: .random(in: 0.5...1))
                let wait = TimeAmount.nanoseconds(delay.nanoseconds)
                guard NIODeadline.now() + wait < deadline,
                    scheduleRetry(in: wait, { [self] in post(body, count: count, attempt: attempt + 1, deadline: deadline) })
                else {
                    finish(count: count, failure: failure)
                    return
                }
            }
    }

    /// Runs `attempt` in `wait` (counted as a retry); `false` when the exporter is stopping.
    private func scheduleRetry(in wait: TimeAmount, _ attempt: @escaping @Sendable () -> Void) -> Bool {
        state.withLock { state in
            guard !state.isStopped else { return false }
            state.counts.retries += 1
            state.retry = eventLoop.scheduleTask(in: wait, attempt)
            return true
        }
    }

    /// Counts the export of `count` spans as done (or failed, saying why, in a warning
    /// at most once a minute) and starts the next when a batch is waiting. On the event loop.
    private func finish(count: Int, failure: String?) {
        let (moreWaiting, logFailure, dropped) = state.withLock { state -> (Bool, Bool, Int) in
            state.isExporting = false
            var logIt = false
            if failure != nil {
                state.counts.failedExports += 1
                state.counts.droppedExportFailed += count
                let now = NIODeadline.now()
                if state.lastFailureLogged.map({ now - $0 > .seconds(60) }) ?? true {
                    state.lastFailureLogged = now
                    logIt = true
                }
            } else {
                state.counts.exported += count
            }
            return (!state.full.isEmpty, logIt, state.counts.dropped)
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
