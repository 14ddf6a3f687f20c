import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Keeps the set of open connections: closes a connection accepted past
/// `maxConnections` at once (so a fresh client below the cap is never starved), pauses
/// accepting for `acceptBackoff` when `accept` fails for want of descriptors or memory
/// (EMFILE, ENFILE, ENOBUFS, ENOMEM), logs such errors at most once per interval, and
/// lets the server drain every open connection when it stops.
///
/// The pause turns the server channel's `autoRead` off and on again. NIO's own
/// `AcceptBackoffHandler` only withholds the next `read()`, but a failed `accept` leaves
/// the channel's read pending and its descriptor registered, so epoll reports the waiting
/// connection again at once and the loop spun at 99 % of a core.
final class ConnectionGate: ChannelInboundHandler, Sendable {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private struct State {
        var open: [ObjectIdentifier: any Channel] = [:]
        var refusals = ThrottledCount()
        var acceptErrors = ThrottledCount()
        var setupFailures = ThrottledCount()
    }

    private let maxConnections: Int
    private let logger: Logger
    private let logInterval: TimeAmount
    private let state = NIOLockedValueBox(State())

    private let acceptBackoff: TimeAmount

    init(
        maxConnections: Int, logger: Logger, logInterval: TimeAmount = .seconds(10),
        acceptBackoff: TimeAmount = .milliseconds(100)
    ) {
        self.maxConnections = maxConnections
        self.logger = logger
        self.logInterval = logInterval
        self.acceptBackoff = acceptBackoff
    }

    /// The connections open now.
    var openConnections: [any Channel] { state.withLockedValue { Array($0.open.values) } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let child = unwrapInboundIn(data)
        let id = ObjectIdentifier(child)
        let admitted: (Bool, refusedToLog: Int?) = state.withLockedValue { state in
            guard state.open.count < maxConnections else {
                return (false, state.refusals.count(now: .now(), interval: logInterval))
            }
            state.open[id] = child
            return (true, nil)
        }
        guard admitted.0 else {
            if let count = admitted.refusedToLog {
                logger.warning(
                    "connection limit reached: closed \(count) new connection(s)",
                    metadata: ["http.max_connections": "\(maxConnections)"])
            }
            child.close(promise: nil)
            return
        }
        child.closeFuture.whenComplete { [state] _ in
            _ = state.withLockedValue { $0.open.removeValue(forKey: id) }
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let ioError = error as? IOError, Self.outOfResources.contains(ioError.errnoCode) {
            let channel = context.channel
            channel.setOption(.autoRead, value: false).whenSuccess {
                channel.eventLoop.scheduleTask(in: self.acceptBackoff) {
                    channel.setOption(.autoRead, value: true).whenFailure { _ in }
                }
            }
        }
        let toLog = state.withLockedValue { $0.acceptErrors.count(now: .now(), interval: logInterval) }
        if let count = toLog {
            logger.error(
                "cannot accept connections: \(error) (\(count) time(s) since the last report); accepting pauses \(acceptBackoff) after each",
                metadata: ["http.open_connections": "\(state.withLockedValue { $0.open.count })"])
        }
    }

    /// An accepted connection could not be set up (a socket option refused, a handler
    /// not added): NIO closes it; this says why, at most once per interval, with the
    /// count since the last report. The error of a refused socket option carries the
    /// call and its errno.
    func childSetupFailed(_ error: any Error) {
        let toLog = state.withLockedValue { $0.setupFailures.count(now: .now(), interval: logInterval) }
        if let count = toLog {
            logger.error(
                "a connection could not be set up and was closed: \(error) (\(count) time(s) since the last report)")
        }
    }

    /// `accept` errors that say the process or system is out of something: worth a pause.
    private static let outOfResources: Set<Int32> = [EMFILE, ENFILE, ENOBUFS, ENOMEM]
}

/// Events of one kind, reported at most once per interval with how many there were since
/// the last report.
struct ThrottledCount {
    private var lastReport: NIODeadline?
    private var sinceReport = 0

    /// Counts one event at `now`; returns the count to report now, or nil to stay quiet.
    mutating func count(now: NIODeadline, interval: TimeAmount) -> Int? {
        sinceReport += 1
        guard lastReport.map({ now - $0 >= interval }) ?? true else { return nil }
        lastReport = now
        defer { sinceReport = 0 }
        return sinceReport
    }
}
