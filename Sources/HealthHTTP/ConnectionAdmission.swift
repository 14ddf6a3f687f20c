// sockaddr_in and sockaddr_in6 reach Swift through NIO's C module on Linux (the compiler names
// it as their defining module), so their members need it imported.
import CNIOLinux
import Glibc
import NIOCore

/// Who a connection comes from, for the per-client share of the connection cap: its IP
/// address (without the port), and whether it is a loopback address.
struct ClientAddress: Hashable, Sendable {
    private let high: UInt64
    private let low: UInt64
    /// 127.0.0.0/8 or ::1.
    let isLoopback: Bool

    private init(high: UInt64, low: UInt64, isLoopback: Bool) {
        self.high = high
        self.low = low
        self.isLoopback = isLoopback
    }

    /// An IPv4 address, in host byte order.
    init(ipv4: UInt32) {
        self.init(high: 0, low: UInt64(ipv4), isLoopback: ipv4 >> 24 == 127)
    }

    /// An IPv6 address as two 64-bit halves, in host byte order; IPv4-mapped ones are IPv4.
    init(ipv6High: UInt64, low: UInt64) {
        if ipv6High == 0, low >> 32 == 0xffff {
            self.init(ipv4: UInt32(truncatingIfNeeded: low))
        } else {
            self.init(high: ipv6High, low: low, isLoopback: ipv6High == 0 && low == 1)
        }
    }

    /// The address of `socketAddress`; a Unix socket or an unknown peer is one loopback client.
    init(_ socketAddress: SocketAddress?) {
        switch socketAddress {
        case .v4(let address):
            self.init(ipv4: UInt32(bigEndian: address.address.sin_addr.s_addr))
        case .v6(let address):
            var high: UInt64 = 0
            var low: UInt64 = 0
            withUnsafeBytes(of: address.address.sin6_addr) { bytes in
                for index in 0..<8 { high = high << 8 | UInt64(bytes[index]) }
                for index in 8..<16 { low = low << 8 | UInt64(bytes[index]) }
            }
            self.init(ipv6High: high, low: low)
        case .unixDomainSocket, nil:
            self.init(ipv4: 0x7f00_0001)
        }
    }
}

/// The connection cap's bookkeeping, without channels (the ``ConnectionGate`` applies its
/// decisions): which connections are open, from whom, and which one makes room when a new
/// connection arrives at a limit.
///
/// - At `maxConnections`, the connection that has been idle the longest makes room (as
///   nginx reuses keep-alive connections when it runs out); failing that, the one whose
///   request head has been arriving the longest, once for `headGrace` (a fresh client
///   sends its head in a moment, a slowloris does not). A connection that is answering
///   never makes room, nor does one that has sent nothing yet (it may be a fresh client
///   whose head is on its way; the header timeout closes it): then the new one is refused.
/// - One client address holds at most `perClient` of them: past that its own connections
///   make room for its new ones by the same rule, else the new one is refused, so that
///   one address cannot take the whole cap. Loopback clients have no share unless
///   `loopbackHasAShare` (behind 127.0.0.1 there may be a sidecar proxy or a
///   port-forward standing for many clients).
struct ConnectionAdmission<ID: Hashable & Sendable>: Sendable {
    /// The limits.
    struct Limits: Equatable, Sendable {
        var maxConnections: Int
        var perClient: Int
        var loopbackHasAShare: Bool
        var headGrace: TimeAmount
    }

    /// What to do with a new connection.
    enum Decision: Equatable, Sendable {
        /// Serve it.
        case admit
        /// Serve it, and tell `ID` to close (it was the one to make room).
        case admitMakingRoom(ID)
        /// Close it at once.
        case refuse
    }

    private struct Entry: Sendable {
        let client: ClientAddress
        let activity: ConnectionActivity
        /// Told to make room; no longer counted.
        var makingRoom = false
    }

    let limits: Limits
    private var entries: [ID: Entry] = [:]
    private var perClient: [ClientAddress: Int] = [:]
    private var makingRoom = 0

    init(limits: Limits) {
        self.limits = limits
    }

    /// Connections open and not told to make room.
    var count: Int { entries.count - makingRoom }

    /// Connections open, including those told to make room.
    var openCount: Int { entries.count }

    /// A new connection `id` from `client`, whose handler publishes to `activity`.
    mutating func admit(_ id: ID, client: ClientAddress, activity: ConnectionActivity, now: NIODeadline) -> Decision {
        // Those told to make room close at once unless caught answering; a bound anyway.
        guard entries.count < 2 * limits.maxConnections else { return .refuse }
        var decision = Decision.admit
        if !client.isLoopback || limits.loopbackHasAShare, perClient[client, default: 0] >= limits.perClient {
            guard let victim = roomMaker(from: client, now: now) else { return .refuse }
            decision = .admitMakingRoom(victim)
        } else if count >= limits.maxConnections {
            guard let victim = roomMaker(from: nil, now: now) else { return .refuse }
            decision = .admitMakingRoom(victim)
        }
        if case .admitMakingRoom(let victim) = decision { markMakingRoom(victim) }
        entries[id] = Entry(client: client, activity: activity)
        perClient[client, default: 0] += 1
        return decision
    }

    /// Connection `id` closed.
    mutating func closed(_ id: ID) {
        guard let entry = entries.removeValue(forKey: id) else { return }
        if entry.makingRoom {
            makingRoom -= 1
        } else {
            uncount(entry.client)
        }
    }

    private mutating func markMakingRoom(_ id: ID) {
        guard let entry = entries[id], !entry.makingRoom else { return }
        entries[id]?.makingRoom = true
        makingRoom += 1
        uncount(entry.client)
    }

    private mutating func uncount(_ client: ClientAddress) {
        let left = perClient[client, default: 1] - 1
        perClient[client] = left > 0 ? left : nil
    }

    /// The connection to make room (of `client` only, if given): idle the longest, else
    /// waiting for its head the longest (past the grace); nil if every one is busy.
    private func roomMaker(from client: ClientAddress?, now: NIODeadline) -> ID? {
        var best: (id: ID, rank: Int, since: NIODeadline)?
        for (id, entry) in entries where !entry.makingRoom && (client == nil || entry.client == client) {
            let rank: Int
            let since: NIODeadline
            switch entry.activity.current {
            case .idle(let idleSince):
                (rank, since) = (0, idleSince)
            case .readingHead(let headSince):
                guard now - headSince >= limits.headGrace else { continue }
                (rank, since) = (1, headSince)
            case .waitingForFirstRequest, .busy:
                continue
            }
            if let current = best, (current.rank, current.since) <= (rank, since) { continue }
            best = (id, rank, since)
        }
        return best?.id
    }
}
