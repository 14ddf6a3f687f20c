/// What a check's closure may know about the current call.
public struct CheckContext: Sendable {
    /// The name the check is configured under in the host (one plugin check can back
    /// several configured checks), e.g. "db-primary".
    public let configuredName: String
    /// The limit the host applies to this call. The host stops waiting after it but
    /// cannot stop the closure: honour it yourself (e.g. as a socket timeout).
    public let timeout: Duration
    /// Writes to the host's log, attributed to this plugin.
    public let log: PluginLog
    /// The configured arguments, for checks declared with parameters.
    let arguments: CheckArguments

    init(configuredName: String, timeout: Duration, log: PluginLog, arguments: CheckArguments = CheckArguments()) {
        self.configuredName = configuredName
        self.timeout = timeout
        self.log = log
        self.arguments = arguments
    }
}
