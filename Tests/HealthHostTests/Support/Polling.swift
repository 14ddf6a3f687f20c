/// Polls `condition` every `interval` until it holds or `timeout` passes, and says
/// whether it held (it is asked once more at the deadline, so a slow machine that
/// overslept still gets its answer). The one bounded "wait until" of the tests: no test
/// loops on a condition of its own.
///
/// ```swift
/// #expect(try await poll(until: { try host.statistics("db").completedCalls == 1 }))
/// ```
func poll(
    until condition: () async throws -> Bool, timeout: Duration = .seconds(5), every interval: Duration = .milliseconds(10)
) async rethrows -> Bool {
    try await poll(timeout: timeout, every: interval) { try await condition() ? true : nil } ?? false
}

/// Polls `value` every `interval` until it is not `nil` or `timeout` passes; its first
/// non-`nil` value, or `nil` when the time ran out.
func poll<Value>(
    timeout: Duration = .seconds(5), every interval: Duration = .milliseconds(10), _ value: () async throws -> Value?
) async rethrows -> Value? {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let found = try await value() { return found }
        try? await Task.sleep(for: interval)
    }
    return try await value()
}

/// Polls `condition` every 20 ms until it holds or `limit` passes (``poll(until:timeout:every:)``
/// under its older name, kept for the suites that call it).
func eventually(within limit: Duration = .seconds(5), _ condition: () async throws -> Bool) async rethrows -> Bool {
    try await poll(until: condition, timeout: limit, every: .milliseconds(20))
}

/// Polls `GET path` on 127.0.0.1:`port` until an answer satisfies `accepts` (by default
/// a 200), within `timeout`, and returns that answer. Stops early, throwing, once
/// `stillRunning` says the server is gone; throws when the time runs out, naming the
/// last answer or the last error.
@discardableResult
func waitUntilAnswering(
    port: Int, _ path: String = "/health/ping", timeout: Duration = .seconds(10),
    stillRunning: () -> Bool = { true }, accepts: (RawHTTPResponse) -> Bool = { $0.status == 200 }
) async throws -> RawHTTPResponse {
    var last = "no answer"
    var gone = false
    let answer = await poll(timeout: timeout, every: .milliseconds(25)) { () async -> RawHTTPResponse? in
        guard !gone else { return nil }
        do {
            let response = try await RawHTTPClient.request(port: port, "GET", path)
            if accepts(response) { return response }
            last = "\(response.status) \(response.body.prefix(200))"
        } catch {
            last = "\(error)"
        }
        gone = !stillRunning()
        return nil
    }
    if let answer { return answer }
    throw RawHTTPClient.ClientError(
        "nothing on port \(port) answered GET \(path) as expected \(gone ? "before the server exited" : "within \(timeout)") (last: \(last))")
}
