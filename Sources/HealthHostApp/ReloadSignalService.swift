import Logging

#if canImport(Glibc)
import Glibc
#endif
import ServiceLifecycle
import UnixSignals

/// SIGHUP, the reload signal (`systemctl reload`, `kill -HUP`, the unit's `ExecReload`):
/// never the default action, which ended the host with no log line, no plugin shutdown,
/// and an exit status systemd took for a clean stop. Live reload does not exist yet, so
/// the signal is logged and the host keeps serving exactly as before; systemd is told
/// the reload began and ended.
struct ReloadSignalService: Service {
    let logger: Logger
    let notifier: SystemdNotifier?
    /// Whether the host is shutting down: systemd is then told nothing of a reload.
    let isShuttingDown: @Sendable () -> Bool
    /// The `STATUS=` line to restore after a reload.
    let servingStatus: @Sendable () -> String

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        // The sequence's handler goes with it; SIGHUP stays harmless after it ends.
        defer { signal(SIGHUP, SIG_IGN) }
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                let stopping = isShuttingDown()
                if !stopping { notifier?.reloading(status: "reload requested (SIGHUP)") }
                logger.notice(
                    """
                    SIGHUP: live reload is not available in this version; the host keeps serving its current configuration and plugins (restart it \
                    to apply changes)
                    """
                )
                if !stopping { notifier?.ready(status: servingStatus()) }
            }
        }
    }
}

/// Pings the systemd watchdog while the event loops answer (see ``EventLoopWatchdog``);
/// first in the group, so it is shut down last and the pings go on through the drain.
struct WatchdogService: Service {
    let watchdog: EventLoopWatchdog

    func run() async throws {
        watchdog.start()
        try? await gracefulShutdown()
        watchdog.stop()
    }
}
