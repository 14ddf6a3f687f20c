import HealthCore

/// A check call, host to worker.
struct CallRequest: Equatable, Sendable {
    /// Correlates the `result`.
    var id: Int
    /// The check's declared name (used when there is no binding).
    var check: String
    /// The `bind` id whose arguments the call uses, if any.
    var binding: Int?
    /// The name the check is configured under (for the plugin's logs and crash reports).
    var configuredName: String
    /// The call's timeout, sent in whole milliseconds.
    var timeout: Duration
}

/// What a plugin's `info` answered, worker to host.
enum InfoAnswer: Equatable, Sendable {
    /// Its key-value pairs, in order.
    case entries([InfoEntry])
    /// Why there are none.
    case failed(String)
}

/// One key-value pair of an `info` answer.
struct InfoEntry: Equatable, Sendable {
    var key: String
    var value: String
}

/// The messages the host sends a worker.
enum HostMessage: Equatable, Sendable {
    /// `init`: run the plugin's `init` with these settings (and this protocol version).
    case initialize(settingsJSON: String, scalars: [String: String])
    /// `bind`: keep a check's arguments under `id` for later calls.
    case bind(id: Int, check: String, values: [WireValue])
    /// `call`: run one check.
    case call(CallRequest)
    /// `info`: read the plugin's info section.
    case info(id: Int)
    /// `shutdown`: call the plugin's `shutdown` and exit.
    case shutdown

    /// The `type` field on the wire.
    var type: String {
        switch self {
        case .initialize: "init"
        case .bind: "bind"
        case .call: "call"
        case .info: "info"
        case .shutdown: "shutdown"
        }
    }
}

/// The messages a worker sends its host.
enum WorkerMessage: Equatable, Sendable {
    /// `hello`: the plugin file is open and valid; what it describes and its digest.
    case hello(descriptor: WireDescriptor, sha256: String)
    /// `load_failed`: opening or `init` failed (`code` is a ``PluginLoadError/Code`` name).
    case loadFailed(code: String, message: String)
    /// `ready`: `init` succeeded; calls may come.
    case ready
    /// `bound`: the `bind` with this id succeeded.
    case bound(id: Int)
    /// `bind_failed`: the `bind` with this id was refused.
    case bindFailed(id: Int, code: String?, message: String)
    /// `result`: the answer to the `call` with this id.
    case result(id: Int, CheckResult)
    /// `info_result`: the answer to the `info` with this id.
    case infoResult(id: Int, InfoAnswer)
    /// `log`: a line the plugin logged, at `level` (a swift-log level name).
    case log(level: String, message: String)

    /// The `type` field on the wire.
    var type: String {
        switch self {
        case .hello: "hello"
        case .loadFailed: "load_failed"
        case .ready: "ready"
        case .bound: "bound"
        case .bindFailed: "bind_failed"
        case .result: "result"
        case .infoResult: "info_result"
        case .log: "log"
        }
    }

    /// The request this answers, for the messages that answer one.
    var requestID: Int? {
        switch self {
        case .bound(let id), .bindFailed(let id, _, _), .result(let id, _), .infoResult(let id, _): id
        case .hello, .loadFailed, .ready, .log: nil
        }
    }
}
