import NIOCore
import Testing

@testable import HealthHTTP

/// The connection's rules as a value: events in, actions out, time set by hand. No
/// channel, no socket, no sleep.
@Suite(.timeLimit(.minutes(1))) struct HTTPConnectionStateMachineTests {
    typealias Machine = HTTPConnectionStateMachine

    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
    static func at(_ milliseconds: Int64) -> NIODeadline { start + .milliseconds(milliseconds) }

    static let limits = Machine.Limits(
        headerTimeout: .seconds(10), bodyTimeout: .seconds(5), idleTimeout: .seconds(60), maxPendingResponses: 3)

    static func opened(_ limits: Machine.Limits = limits) -> Machine {
        var machine = Machine(limits: limits, now: start)
        _ = machine.opened()
        return machine
    }

    static let answer = ByteBuffer(string: "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")

    /// One keep-alive GET, from its first byte to its end, at `now`.
    static func request(
        _ machine: inout Machine, at now: NIODeadline, keepAlive: Bool = true, body: Bool = false, http10: Bool = false,
        serverDraining: Bool = false
    ) -> Machine.HeadDecision {
        _ = machine.bytesArrived(now: now)
        let decision = machine.headReceived(
            keepAliveRequested: keepAlive, declaresBody: body, isHTTP10: http10, serverDraining: serverDraining)
        machine.requestEnded(now: now)
        return decision
    }

    /// Writes every ready answer; returns them and the actions that follow.
    static func written(_ machine: inout Machine, now: NIODeadline) -> ([ByteBuffer], Machine.Actions) {
        var writes: [ByteBuffer] = []
        while let bytes = machine.nextWrite() { writes.append(bytes) }
        return (writes, machine.answersWritten(now: now))
    }

    // MARK: Timeouts

    @Test func theFirstHeadIsOwedWithinTheHeaderTimeoutOfTheOpening() {
        var machine = Machine(limits: Self.limits, now: Self.start)
        let result47 = machine.opened()
        #expect(result47 == .init(armTimer: Self.at(10_000)))
        // Bytes at 9 s do not restart the clock of the first head.
        let result49 = machine.bytesArrived(now: Self.at(9_000))
        #expect(result49)
        let result50 = machine.readComplete(now: Self.at(9_000)).actions
        #expect(result50 == .none)
        let result51 = machine.timerFired(now: Self.at(10_000))
        #expect(result51 == .init(close: .now))
    }

    @Test func aLaterHeadIsOwedWithinTheHeaderTimeoutOfItsFirstByte() {
        var machine = Self.opened()
        let result56 = Self.request(&machine, at: Self.at(100))
        #expect(result56 == .answer(.keepAlive))
        _ = machine.queueAnswer(Self.answer, closes: false)
        _ = Self.written(&machine, now: Self.at(100))
        // Idle from 100 ms: a timer for the idle timeout would be later than the armed one.
        #expect(machine.deadline == Self.at(60_100))
        // A slowloris sends the start of a head at 30 s and a byte now and then.
        let result62 = machine.bytesArrived(now: Self.at(30_000))
        #expect(result62)
        let result63 = machine.bytesArrived(now: Self.at(35_000))
        #expect(!result63)
        #expect(machine.deadline == Self.at(40_000))
        // The first timer (10 s, the first head's) finds nothing due and re-arms for 40 s.
        let result66 = machine.timerFired(now: Self.at(10_000))
        #expect(result66 == .init(armTimer: Self.at(40_000)))
        let result67 = machine.timerFired(now: Self.at(40_000))
        #expect(result67 == .init(close: .now))
    }

    @Test func anIdleKeepAliveConnectionClosesAfterTheIdleTimeoutFromItsLastAnswer() {
        var machine = Self.opened()
        _ = Self.request(&machine, at: Self.at(1_000))
        _ = machine.queueAnswer(nil, closes: false)
        #expect(machine.deadline == nil, "nothing times out while an answer is being worked out")
        let result75 = machine.fill(sequence: 0, bytes: Self.answer, closes: false)
        #expect(result75)
        let (writes, _) = Self.written(&machine, now: Self.at(2_000))
        #expect(writes == [Self.answer])
        #expect(machine.deadline == Self.at(62_000))
        let result79 = machine.timerFired(now: Self.at(10_000))
        #expect(result79 == .init(armTimer: Self.at(62_000)))
        // A timer that fires early re-arms itself.
        let result81 = machine.timerFired(now: Self.at(61_999))
        #expect(result81 == .init(armTimer: Self.at(62_000)))
        let result82 = machine.timerFired(now: Self.at(62_000))
        #expect(result82 == .init(close: .now))
    }

    @Test func theTimerIsOnlyEverMovedEarlier() {
        var machine = Self.opened()
        _ = Self.request(&machine, at: Self.at(1))
        _ = machine.queueAnswer(Self.answer, closes: false)
        // The idle deadline (60 s) is later than the timer armed for the first head (10 s).
        let result90 = Self.written(&machine, now: Self.at(1)).1
        #expect(result90 == .none)
        // A write stall of a short-idle machine would be earlier: it is armed.
        var short = Self.limits
        short.idleTimeout = .seconds(2)
        var stalled = Self.opened(short)
        let result95 = stalled.writabilityChanged(isWritable: false, now: Self.at(100))
        #expect(result95 == .init(armTimer: Self.at(2_100)))
    }

    @Test func aClientThatReadsNoAnswersIsClosedAfterTheWriteTimeout() {
        var machine = Self.opened()
        for index in 0..<2 {
            _ = Self.request(&machine, at: Self.at(Int64(index)))
            _ = machine.queueAnswer(nil, closes: false)
        }
        let stall = machine.writabilityChanged(isWritable: false, now: Self.at(5_000))
        #expect(stall == .none)  // the timer armed for 10 s fires first
        let result105 = machine.timerFired(now: Self.at(10_000))
        #expect(result105 == .init(armTimer: Self.at(65_000)))
        // Writable again in time: no write deadline is left.
        _ = machine.writabilityChanged(isWritable: true, now: Self.at(64_000))
        #expect(machine.deadline == nil)
        _ = machine.writabilityChanged(isWritable: false, now: Self.at(70_000))
        #expect(machine.deadline == Self.at(130_000))
        let result111 = machine.timerFired(now: Self.at(130_000))
        #expect(result111 == .init(close: .now))
    }

    @Test func afterTheLastAnswerTheConnectionLingersBrieflyOrForTheBodyTimeout() {
        // An answer the client did not ask to close with (an error, a drain): 250 ms.
        var refused = Self.opened()
        _ = Self.request(&refused, at: Self.at(0))
        _ = refused.queueAnswer(Self.answer, closes: true)
        let (writes, actions) = Self.written(&refused, now: Self.at(10))
        #expect(writes.count == 1)
        #expect(actions == .init(close: .outputAfterFlush, armTimer: Self.at(260)))
        let lingered = refused.timerFired(now: Self.at(260))
        #expect(lingered == .init(close: .now))

        var withBody = Self.opened()
        let decision = Self.request(&withBody, at: Self.at(0), keepAlive: false, body: true)
        #expect(decision == .answer(.close))
        _ = withBody.queueAnswer(Self.answer, closes: true)
        let bodyActions = Self.written(&withBody, now: Self.at(10)).1
        #expect(bodyActions == .init(close: .outputAfterFlush, armTimer: Self.at(5_010)))
        // Lingering, input is read (and dropped) whatever the backpressure.
        let reads = withBody.readRequested()
        #expect(reads)
    }

    @Test func aClientThatAskedForTheCloseAndSentNothingMoreIsNotWaitedFor() {
        var asked = Self.opened()
        let decision = Self.request(&asked, at: Self.at(0), keepAlive: false)
        #expect(decision == .answer(.close))
        _ = asked.queueAnswer(Self.answer, closes: true)
        let actions = Self.written(&asked, now: Self.at(10)).1
        #expect(actions == .init(close: .afterFlush))
        #expect(asked.deadline == nil)
        // Something sent after that request: it lingers, so the answer is not lost to a reset.
        var more = Self.opened()
        _ = Self.request(&more, at: Self.at(0), keepAlive: false)
        _ = more.queueAnswer(nil, closes: true)
        let extra = more.bytesArrived(now: Self.at(1))
        #expect(extra)
        let filled = more.fill(sequence: 0, bytes: Self.answer, closes: true)
        #expect(filled)
        let lingering = Self.written(&more, now: Self.at(10)).1
        #expect(lingering == .init(close: .outputAfterFlush, armTimer: Self.at(260)))
    }

    // MARK: Pipelining and keep-alive

    @Test func answersGoOutInRequestOrderAndAReadyOneWaitsForAnEarlierOne() {
        var machine = Self.opened()
        let first = ByteBuffer(string: "first")
        let second = ByteBuffer(string: "second")
        let third = ByteBuffer(string: "third")
        _ = Self.request(&machine, at: Self.at(0))
        let slow = machine.queueAnswer(nil, closes: false)
        _ = Self.request(&machine, at: Self.at(0))
        _ = machine.queueAnswer(second, closes: false)
        _ = Self.request(&machine, at: Self.at(0), keepAlive: false)
        let last = machine.queueAnswer(nil, closes: true)
        let result144 = Self.written(&machine, now: Self.at(1)).0.isEmpty
        #expect(result144)
        // Heads after a closing answer are not answered.
        let result146 = Self.request(&machine, at: Self.at(2))
        #expect(result146 == .ignore)
        let result147 = machine.fill(sequence: last, bytes: third, closes: true)
        #expect(result147)
        let result148 = Self.written(&machine, now: Self.at(3)).0.isEmpty
        #expect(result148)
        let result149 = machine.fill(sequence: slow, bytes: first, closes: false)
        #expect(result149)
        let (writes, actions) = Self.written(&machine, now: Self.at(4))
        #expect(writes == [first, second, third])
        #expect(actions.close == .outputAfterFlush)
        let result153 = machine.takeFlush()
        #expect(result153 == false, "the close flushes")
        let result154 = machine.fill(sequence: slow, bytes: first, closes: false)
        #expect(!result154)
    }

    @Test func theDispositionFollowsTheRequestTheHalfCloseAndTheDrain() {
        var machine = Self.opened()
        let result159 = Self.request(&machine, at: Self.at(0))
        #expect(result159 == .answer(.keepAlive))
        let result160 = Self.request(&machine, at: Self.at(0), http10: true)
        #expect(result160 == .answer(.keepAliveHTTP10))
        let result161 = Self.request(&machine, at: Self.at(0), serverDraining: true)
        #expect(result161 == .answer(.close))
        #expect(machine.finalDisposition(.keepAlive, serverDraining: false) == .keepAlive)
        #expect(machine.finalDisposition(.keepAlive, serverDraining: true) == .close)
        // A request pipelined before the client's EOF is answered, with Connection: close.
        var halfClosed = Self.opened()
        _ = Self.request(&halfClosed, at: Self.at(0))
        _ = halfClosed.queueAnswer(nil, closes: false)
        let result168 = halfClosed.inputEnded()
        #expect(result168 == .none)
        let result169 = Self.request(&halfClosed, at: Self.at(0))
        #expect(result169 == .answer(.close))
    }

    // MARK: Half-close

    @Test func aClientThatHalfClosesGetsItsAnswersThenTheConnectionCloses() {
        var machine = Self.opened()
        _ = Self.request(&machine, at: Self.at(0))
        let sequence = machine.queueAnswer(nil, closes: false)
        let result178 = machine.inputEnded()
        #expect(result178 == .none)
        let result179 = machine.fill(sequence: sequence, bytes: Self.answer, closes: false)
        #expect(result179)
        let (writes, actions) = Self.written(&machine, now: Self.at(5))
        #expect(writes.count == 1)
        #expect(actions.close == .afterFlush)
        // An idle connection that sees EOF closes at once; so does one whose head EOF cut short.
        var idle = Self.opened()
        let result185 = idle.inputEnded()
        #expect(result185 == .init(close: .now))
        var cutShort = Self.opened()
        _ = cutShort.bytesArrived(now: Self.at(0))
        let result188 = cutShort.inputEnded()
        #expect(result188 == .init(close: .now))
        // And one already lingering (after an answer the client did not ask to close with).
        var lingering = Self.opened()
        _ = Self.request(&lingering, at: Self.at(0))
        _ = lingering.queueAnswer(Self.answer, closes: true)
        _ = Self.written(&lingering, now: Self.at(0))
        let result194 = lingering.inputEnded()
        #expect(result194 == .init(close: .now))
    }

    // MARK: Backpressure

    @Test func readsPauseAtMaxPendingResponsesAndResumeWhenAnswersGoOut() {
        var machine = Self.opened()
        var sequences: [Int] = []
        for _ in 0..<3 {
            _ = Self.request(&machine, at: Self.at(0))
            sequences.append(machine.queueAnswer(nil, closes: false))
        }
        let result206 = machine.readRequested()
        #expect(!result206)
        #expect(machine.readHeld)
        let result208 = machine.fill(sequence: sequences[0], bytes: Self.answer, closes: false)
        #expect(result208)
        let result209 = Self.written(&machine, now: Self.at(1)).1.read
        #expect(result209)
        #expect(!machine.readHeld)
        let result211 = machine.readRequested()
        #expect(result211)
    }

    @Test func readsPauseWhileTheChannelIsNotWritable() {
        var machine = Self.opened()
        _ = machine.writabilityChanged(isWritable: false, now: Self.at(0))
        let result217 = machine.readRequested()
        #expect(!result217)
        let result218 = machine.writabilityChanged(isWritable: true, now: Self.at(1))
        #expect(result218 == .init(read: true))
        let result219 = machine.readRequested()
        #expect(result219)
    }

    // MARK: Drain and eviction

    @Test func aQuiescedConnectionClosesAtOnceWhenIdleElseAfterItsAnswers() {
        var idle = Self.opened()
        let result226 = idle.quiesce()
        #expect(result226 == .init(close: .now))
        var heading = Self.opened()
        _ = heading.bytesArrived(now: Self.at(0))
        let result229 = heading.quiesce()
        #expect(result229 == .none, "the head arriving is answered")
        var busy = Self.opened()
        _ = Self.request(&busy, at: Self.at(0))
        let first = busy.queueAnswer(nil, closes: false)
        _ = Self.request(&busy, at: Self.at(0))
        let second = busy.queueAnswer(nil, closes: false)
        let result235 = busy.quiesce()
        #expect(result235 == .none)
        let result236 = busy.fill(sequence: first, bytes: Self.answer, closes: false)
        #expect(result236)
        let result237 = Self.written(&busy, now: Self.at(1)).1.close
        #expect(result237 == nil)
        let result238 = busy.fill(sequence: second, bytes: Self.answer, closes: false)
        #expect(result238)
        let result239 = Self.written(&busy, now: Self.at(2)).1.close
        #expect(result239 == .outputAfterFlush)
    }

    @Test func anEvictedConnectionClosesAtOnceWhileIdleOrWaitingForAHead() {
        var idle = Self.opened()
        _ = Self.request(&idle, at: Self.at(0))
        _ = idle.queueAnswer(Self.answer, closes: false)
        _ = Self.written(&idle, now: Self.at(0))
        let result247 = idle.evict()
        #expect(result247 == .init(close: .now))
        var slowloris = Self.opened()
        _ = slowloris.bytesArrived(now: Self.at(0))
        let result250 = slowloris.evict()
        #expect(result250 == .init(close: .now))
        var answering = Self.opened()
        _ = Self.request(&answering, at: Self.at(0))
        let sequence = answering.queueAnswer(nil, closes: false)
        let result254 = answering.evict()
        #expect(result254 == .none)
        let result255 = answering.fill(sequence: sequence, bytes: Self.answer, closes: false)
        #expect(result255)
        let result256 = Self.written(&answering, now: Self.at(1)).1.close
        #expect(result256 == .outputAfterFlush)
    }

    @Test func theActivityTheCapSeesFollowsTheConnection() {
        var machine = Self.opened()
        let result261 = machine.takeActivityChange()
        #expect(result261 == .waitingForFirstRequest(since: Self.start))
        let result262 = machine.takeActivityChange()
        #expect(result262 == nil)
        _ = machine.bytesArrived(now: Self.at(5))
        #expect(machine.activity == .readingHead(since: Self.start))
        _ = machine.headReceived(keepAliveRequested: true, declaresBody: false, isHTTP10: false, serverDraining: false)
        #expect(machine.activity == .busy)
        machine.requestEnded(now: Self.at(6))
        let sequence = machine.queueAnswer(nil, closes: false)
        #expect(machine.activity == .busy)
        _ = machine.fill(sequence: sequence, bytes: Self.answer, closes: false)
        _ = Self.written(&machine, now: Self.at(7))
        #expect(machine.activity == .idle(since: Self.at(7)))
        _ = machine.bytesArrived(now: Self.at(8))
        #expect(machine.activity == .readingHead(since: Self.at(8)))
    }
}
