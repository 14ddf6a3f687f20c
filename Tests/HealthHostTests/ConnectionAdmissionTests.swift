import NIOCore
import Testing

@testable import HealthHTTP

/// The connection cap's decisions, without a socket: who makes room for a new connection
/// at the cap or at one client's share, and when a new one is refused.
@Suite(.timeLimit(.minutes(1))) struct ConnectionAdmissionTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
    static func at(_ milliseconds: Int64) -> NIODeadline { start + .milliseconds(milliseconds) }

    static let remote = ClientAddress(ipv4: 0x0a00_0001)  // 10.0.0.1
    static let other = ClientAddress(ipv4: 0x0a00_0002)
    static let loopback = ClientAddress(ipv4: 0x7f00_0001)

    static func admission(max: Int = 3, perClient: Int = 10, loopbackHasAShare: Bool = false) -> ConnectionAdmission<Int> {
        ConnectionAdmission(
            limits: .init(
                maxConnections: max, perClient: perClient, loopbackHasAShare: loopbackHasAShare,
                headGrace: .seconds(1)))
    }

    static func activity(_ activity: HTTPConnectionStateMachine.Activity) -> ConnectionActivity {
        let published = ConnectionActivity(acceptedAt: start)
        published.publish(activity)
        return published
    }

    @Test func belowTheCapEveryConnectionIsAdmitted() {
        var admission = Self.admission()
        for id in 0..<3 {
            let decision = admission.admit(id, client: Self.remote, activity: Self.activity(.busy), now: Self.at(0))
            #expect(decision == .admit)
        }
        #expect(admission.count == 3)
    }

    @Test func atTheCapTheConnectionIdleTheLongestMakesRoom() {
        var admission = Self.admission()
        _ = admission.admit(0, client: Self.remote, activity: Self.activity(.idle(since: Self.at(500))), now: Self.at(0))
        _ = admission.admit(1, client: Self.other, activity: Self.activity(.idle(since: Self.at(100))), now: Self.at(0))
        // Waiting for a head for longer, but idle connections go first.
        _ = admission.admit(2, client: Self.other, activity: Self.activity(.readingHead(since: Self.at(0))), now: Self.at(0))
        let decision = admission.admit(3, client: Self.loopback, activity: Self.activity(.busy), now: Self.at(5_000))
        #expect(decision == .admitMakingRoom(1))
        #expect(admission.count == 3)
        #expect(admission.openCount == 4)
        // The one told to make room is not told twice.
        let next = admission.admit(4, client: Self.loopback, activity: Self.activity(.busy), now: Self.at(5_000))
        #expect(next == .admitMakingRoom(0))
        admission.closed(1)
        admission.closed(0)
        #expect(admission.openCount == 3)
    }

    @Test func slowHeadsMakeRoomOnlyAfterTheGraceAndBusyOrSilentConnectionsNever() {
        var admission = Self.admission(max: 4)
        _ = admission.admit(0, client: Self.remote, activity: Self.activity(.busy), now: Self.at(0))
        _ = admission.admit(1, client: Self.remote, activity: Self.activity(.readingHead(since: Self.at(0))), now: Self.at(0))
        _ = admission.admit(2, client: Self.other, activity: Self.activity(.readingHead(since: Self.at(200))), now: Self.at(0))
        let silent = Self.activity(.waitingForFirstRequest(since: Self.at(0)))
        _ = admission.admit(9, client: Self.other, activity: silent, now: Self.at(0))
        let early = admission.admit(3, client: Self.loopback, activity: Self.activity(.busy), now: Self.at(999))
        #expect(early == .refuse, "a fresh client is given time to send its head")
        let later = admission.admit(3, client: Self.loopback, activity: Self.activity(.busy), now: Self.at(1_200))
        #expect(later == .admitMakingRoom(1))
        let next = admission.admit(4, client: Self.loopback, activity: Self.activity(.busy), now: Self.at(1_200))
        #expect(next == .admitMakingRoom(2))
        let full = admission.admit(5, client: Self.loopback, activity: Self.activity(.busy), now: Self.at(9_000))
        #expect(full == .refuse, "every other connection is answering or has sent nothing yet")
    }

    @Test func oneAddressCannotTakeTheWholeCap() {
        var admission = Self.admission(max: 4, perClient: 2)
        _ = admission.admit(0, client: Self.remote, activity: Self.activity(.busy), now: Self.at(0))
        _ = admission.admit(1, client: Self.remote, activity: Self.activity(.busy), now: Self.at(0))
        let third = admission.admit(2, client: Self.remote, activity: Self.activity(.busy), now: Self.at(0))
        #expect(third == .refuse)
        let probe = admission.admit(3, client: Self.other, activity: Self.activity(.busy), now: Self.at(0))
        #expect(probe == .admit)
        admission.closed(0)
        let again = admission.admit(4, client: Self.remote, activity: Self.activity(.busy), now: Self.at(0))
        #expect(again == .admit)
    }

    @Test func pastItsShareAClientsOwnIdleConnectionMakesRoomForItsNewOne() {
        var admission = Self.admission(max: 10, perClient: 2)
        _ = admission.admit(0, client: Self.other, activity: Self.activity(.idle(since: Self.at(0))), now: Self.at(0))
        _ = admission.admit(1, client: Self.remote, activity: Self.activity(.idle(since: Self.at(50))), now: Self.at(0))
        _ = admission.admit(2, client: Self.remote, activity: Self.activity(.busy), now: Self.at(0))
        let decision = admission.admit(3, client: Self.remote, activity: Self.activity(.busy), now: Self.at(100))
        #expect(decision == .admitMakingRoom(1), "its own, not the other client's older idle one")
    }

    @Test func loopbackClientsHaveNoShareUnlessConfigured() {
        var exempt = Self.admission(max: 4, perClient: 1)
        for id in 0..<4 {
            #expect(exempt.admit(id, client: Self.loopback, activity: Self.activity(.busy), now: Self.at(0)) == .admit)
        }
        var held = Self.admission(max: 4, perClient: 1, loopbackHasAShare: true)
        #expect(held.admit(0, client: Self.loopback, activity: Self.activity(.busy), now: Self.at(0)) == .admit)
        #expect(held.admit(1, client: Self.loopback, activity: Self.activity(.busy), now: Self.at(0)) == .refuse)
    }

    @Test func clientAddressesIgnoreThePortAndKnowLoopback() throws {
        let first = ClientAddress(try SocketAddress(ipAddress: "10.1.2.3", port: 1000))
        let second = ClientAddress(try SocketAddress(ipAddress: "10.1.2.3", port: 2000))
        #expect(first == second)
        #expect(!first.isLoopback)
        #expect(ClientAddress(try SocketAddress(ipAddress: "127.0.0.6", port: 1)).isLoopback)
        #expect(ClientAddress(try SocketAddress(ipAddress: "::1", port: 1)).isLoopback)
        #expect(!ClientAddress(try SocketAddress(ipAddress: "::2", port: 1)).isLoopback)
        let mapped = ClientAddress(try SocketAddress(ipAddress: "::ffff:10.1.2.3", port: 1))
        #expect(mapped == first)
        #expect(ConnectionGate.defaultShare(of: 1024) == 512)
        #expect(ConnectionGate.defaultShare(of: 1) == 1)
    }
}
