import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Keeps the set of open connections and applies the cap (``ConnectionAdmission``): at
/// `maxConnections`, or at one client's share of it, the keep-alive connection idle the
/// longest (or, failing that, the one whose request head has been arriving the longest)
/// is told to make room for the new one; only when none can is the new connection closed
/// at once.
/// Before, a connection past the cap was always closed: 1,024 keep-alive connections of
/// one client locked every fresh probe out until the idle timeout (60 s), and slowloris
/// connections refilling the cap let 42 of 147 fresh pings through.
///
/// It also pauses accepting for `acceptBackoff` when `accept` fails for want of
/// descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), logs such errors at most once
/// per interval, and lets the server drain every open connection when it stops.
///
/// The pause turns the server channel's `autoRead` off and on again. NIO's own
/// `AcceptBackoffHandler` only withholds the next `read()`, but a failed `accept` leaves
/// the channel's read pending and its descriptor registered, so epoll reports the waiting
/// connection again at once and the loop spun at 99 % of a core.
final class ConnectionGate: ChannelInboundHandler, Sendable {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    /// Sent to a connection that must make room for a new one: it closes now if idle or
    /// waiting for a head, else after the answers it owes.
    struct MakeRoom: Sendable {}

    private struct State: Sendable {
        var admission: ConnectionAdmission<ObjectIdentifier>
        var open: [ObjectIdentifier: (channel: any Channel, activity: ConnectionActivity)] = [:]
        var refusals = ThrottledCount()
        var acceptErrors = ThrottledCount()
        var setupFailures = ThrottledCount()
    }

    private let maxConnections: Int
    private let logger: Logger
    private let logInterval: TimeAmount
    private let state: NIOLockedValueBox<State>

    private let acceptBackoff: TimeAmount

    /// `perClient` defaults to half of `maxConnections`; `headGrace` is how long a
    /// connection may wait for its request head before it may make room.
    init(
        maxConnections: Int, logger: Logger, logInterval: TimeAmount = .seconds(10),
        acceptBackoff: TimeAmount = .milliseconds(100), perClient: Int? = nil, loopbackHasAShare: Bool = false,
        headGrace: TimeAmount = .milliseconds(2500)
    ) {
        self.maxConnections = maxConnections
        self.logger = logger
        self.logInterval = logInterval
        self.acceptBackoff = acceptBackoff
        let limits = ConnectionAdmission<ObjectIdentifier>.Limits(
            maxConnections: maxConnections, perClient: perClient ?? Self.defaultShare(of: maxConnections),
            loopbackHasAShare: loopbackHasAShare, headGrace: headGrace)
        self.state = NIOLockedValueBox(State(admission: ConnectionAdmission(limits: limits)))
    }

    /// One client's share of the cap by default: half of it (at least one).
    static func defaultShare(of maxConnections: Int) -> Int { max(1, maxConnections / 2) }

    /// The connections open now.
    var openConnections: [any Channel] { state.withLockedValue { $0.open.values.map(\.channel) } }

    /// Where the handler of `channel` publishes what it is doing (nil if not admitted).
    func activity(of channel: any Channel) -> ConnectionActivity? {
        state.withLockedValue { $0.open[ObjectIdentifier(channel)]?.activity }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let child = unwrapInboundIn(data)
        let id = ObjectIdentifier(child)
        let now = NIODeadline.now()
        let activity = ConnectionActivity(acceptedAt: now)
        let client = ClientAddress(child.remoteAddress)
        let (admitted, roomMaker, refusedToLog): (Bool, (any Channel)?, Int?) = state.withLockedValue { state in
            switch state.admission.admit(id, client: client, activity: activity, now: now) {
            case .refuse:
                return (false, nil, state.refusals.count(now: now, interval: logInterval))
            case .admit:
                state.open[id] = (child, activity)
                return (true, nil, nil)
            case .admitMakingRoom(let victim):
                state.open[id] = (child, activity)
                return (true, state.open[victim]?.channel, nil)
            }
        }
        guard admitted else {
            if let count = refusedToLog {
                logger.warning(
                    "connection limit reached: closed \(count) new connection(s) (every open one was busy)",
                    metadata: ["http.max_connections": "\(maxConnections)"])
            }
            child.close(promise: nil)
            return
        }
        roomMaker?.pipeline.fireUserInboundEventTriggered(MakeRoom())
        child.closeFuture.whenComplete { [state] _ in
            state.withLockedValue {
                $0.admission.closed(id)
                $0.open.removeValue(forKey: id)
            }
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
