import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Keeps the set of open connections: closes a connection accepted past
/// `maxConnections` at once (so a fresh client below the cap is never starved), logs
/// accept errors such as EMFILE at most once per interval (NIO's `AcceptBackoffHandler`
/// in front of it pauses accepting meanwhile), and lets the server drain every open
/// connection when it stops.
final class ConnectionGate: ChannelInboundHandler, Sendable {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private struct State {
        var open: [ObjectIdentifier: any Channel] = [:]
        var refusedSinceLog = 0
        var lastRefusalLog: NIODeadline?
        var lastErrorLog: NIODeadline?
        var errorsSinceLog = 0
    }

    private let maxConnections: Int
    private let logger: Logger
    private let logInterval: TimeAmount
    private let state = NIOLockedValueBox(State())

    init(maxConnections: Int, logger: Logger, logInterval: TimeAmount = .seconds(10)) {
        self.maxConnections = maxConnections
        self.logger = logger
        self.logInterval = logInterval
    }

    /// The connections open now.
    var openConnections: [any Channel] { state.withLockedValue { Array($0.open.values) } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let child = unwrapInboundIn(data)
        let id = ObjectIdentifier(child)
        let admitted: (Bool, refusedToLog: Int?) = state.withLockedValue { state in
            guard state.open.count < maxConnections else {
                state.refusedSinceLog += 1
                let now = NIODeadline.now()
                if state.lastRefusalLog.map({ now - $0 >= logInterval }) ?? true {
                    state.lastRefusalLog = now
                    defer { state.refusedSinceLog = 0 }
                    return (false, state.refusedSinceLog)
                }
                return (false, nil)
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
        let toLog: Int? = state.withLockedValue { state in
            state.errorsSinceLog += 1
            let now = NIODeadline.now()
            guard state.lastErrorLog.map({ now - $0 >= logInterval }) ?? true else { return nil }
            state.lastErrorLog = now
            defer { state.errorsSinceLog = 0 }
            return state.errorsSinceLog
        }
        if let count = toLog {
            logger.error(
                "cannot accept connections: \(error) (\(count) time(s) since the last report); pausing accepts briefly",
                metadata: ["http.open_connections": "\(state.withLockedValue { $0.open.count })"])
        }
    }
}
