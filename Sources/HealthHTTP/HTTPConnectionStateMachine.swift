import NIOCore

/// Everything one connection must remember, as a value that takes events and returns
/// what to do: when to read, what to write, when to close, when the next timer must
/// fire. ``HTTPConnectionHandler`` feeds it NIO's events and performs its actions; the
/// rules live here, where a test drives them with a hand-set clock (every event takes
/// `now`) and no channel (the shape of Hummingbird's
/// `HTTPConnectionStateHandler.StateMachine` and of ``CheckSlot``'s decisions).
///
/// The rules:
/// - **Timeouts.** The first request head must arrive within the header timeout of the
///   connection opening, and every later one within the header timeout of its first byte
///   (slowloris). A keep-alive connection with nothing queued and nothing arriving closes
///   after the idle timeout; so does one whose client reads none of its answers for that
///   long (the write timeout). Once the last answer is written the connection lingers
///   (the body timeout after a declared body, else at most 250 ms) reading and dropping
///   input, so that unread input does not turn the close into a reset.
/// - **Order and pipelining.** Answers are written in request order; an answer that is
///   ready waits behind one that is not.
/// - **Backpressure.** No read while `maxPendingResponses` answers wait or the channel is
///   not writable; a read asked for then is held and done once there is room.
/// - **Keep-alive and close.** A request that asks to close, declares a body, arrives
///   after the client half-closed or while draining is answered with `Connection: close`;
///   heads after a closing answer are not answered.
/// - **Half-close.** After the client's EOF the answers owed are still written, then the
///   connection closes.
/// - **Drain** (NIO's `ChannelShouldQuiesceEvent`) and **eviction** (the connection cap
///   needs room): an idle connection closes at once, a busy one after its answers.
struct HTTPConnectionStateMachine {
    /// The limits the machine enforces (from ``HTTPServerConfiguration``).
    struct Limits: Equatable {
        var headerTimeout: TimeAmount
        var bodyTimeout: TimeAmount
        var idleTimeout: TimeAmount
        var maxPendingResponses: Int

        init(headerTimeout: TimeAmount, bodyTimeout: TimeAmount, idleTimeout: TimeAmount, maxPendingResponses: Int) {
            self.headerTimeout = headerTimeout
            self.bodyTimeout = bodyTimeout
            self.idleTimeout = idleTimeout
            self.maxPendingResponses = maxPendingResponses
        }

        init(_ configuration: HTTPServerConfiguration) {
            self.init(
                headerTimeout: configuration.headerTimeout, bodyTimeout: configuration.bodyTimeout,
                idleTimeout: configuration.idleTimeout, maxPendingResponses: configuration.maxPendingResponses)
        }
    }

    /// Where the reading of requests is.
    enum Reading: Equatable {
        /// No byte of the next request yet. The first request of a connection owes its head
        /// within the header timeout of `since` (the connection opening); a later one is idle
        /// from `since` (the last answer written) while nothing is queued.
        case awaitingRequest(since: NIODeadline, first: Bool)
        /// Bytes of a head have arrived; it is not decoded yet.
        case readingHead(since: NIODeadline)
        /// The head is decoded, the request's end is not (a body is being dropped).
        case readingBody
    }

    /// Where the connection is in its life.
    enum Life: Equatable {
        /// Serving requests.
        case open
        /// An answer that closes the connection is queued: later heads are not answered.
        case closingAfterAnswers
        /// The last answer is written and our side shut; input is read and dropped until
        /// EOF or `until`.
        case lingering(until: NIODeadline)
        /// Closed (or being closed) at once: nothing more is answered.
        case closed
    }

    /// What the connection is doing, as the connection cap sees it (which connections
    /// may make room for a new one).
    enum Activity: Equatable {
        /// Waiting for its first request since `since`.
        case waitingForFirstRequest(since: NIODeadline)
        /// A request head has been arriving since `since`.
        case readingHead(since: NIODeadline)
        /// Keep-alive, nothing queued, nothing arriving since `since`.
        case idle(since: NIODeadline)
        /// Reading a body, answering, or closing.
        case busy
    }

    /// How the connection is to be closed.
    enum Close: Equatable {
        /// Flush what is written, then shut our side (input is still read and dropped).
        case outputAfterFlush
        /// Flush what is written, then close.
        case afterFlush
        /// Close at once.
        case now
    }

    /// What the handler must do after an event.
    struct Actions: Equatable {
        /// Close the connection, and how.
        var close: Close?
        /// Pass a held read on to the channel.
        var read = false
        /// Schedule the timer for this deadline (replacing a later one).
        var armTimer: NIODeadline?

        static let none = Actions()
    }

    /// What to do with a decoded request head.
    enum HeadDecision: Equatable {
        /// Answer it; its answer carries this disposition.
        case answer(ConnectionDisposition)
        /// Drop it: a closing answer is already queued.
        case ignore
    }

    /// One answer in request order: its bytes once they are ready.
    private struct Slot {
        var bytes: ByteBuffer?
        var closesConnection: Bool
    }

    let limits: Limits
    private(set) var reading: Reading
    private(set) var life = Life.open
    private var queue = CircularBuffer<Slot>(initialCapacity: 2)
    /// The sequence number of `queue.first`.
    private var firstSequence = 0
    /// The next bytes begin a new request (set at each request's end): the guard in
    /// front of the decoder starts watching a new request line.
    private var betweenRequests = true
    private var needsFlush = false
    /// The client has half-closed.
    private(set) var inputClosed = false
    /// The server is stopping, or the cap wants the room: close once the answers owed are out.
    private(set) var draining = false
    /// A request declared a body that is dropped: linger for the body timeout.
    private var bodyDeclared = false
    /// The client asked for the close (`Connection: close`, HTTP/1.0 without keep-alive).
    private var closeRequested = false
    /// Input arrived after the request whose answer closes the connection.
    private var inputAfterClosingRequest = false
    private var writable = true
    /// A read was held back while paused.
    private(set) var readHeld = false
    private var writeStalledSince: NIODeadline?
    /// When the scheduled timer fires (nil: none scheduled).
    private var timerAt: NIODeadline?
    /// The last ``Activity`` handed out by ``takeActivityChange()``.
    private var publishedActivity: Activity?
    /// The last answer taken by ``nextWrite()`` ends the connection.
    private var lastAnswerTaken = false

    /// A connection opened at `now`.
    init(limits: Limits, now: NIODeadline) {
        self.limits = limits
        self.reading = .awaitingRequest(since: now, first: true)
    }

    // MARK: Reading

    /// The connection is set up: its first head is owed within the header timeout.
    mutating func opened() -> Actions {
        Actions(armTimer: armIfNeeded())
    }

    /// Raw bytes arrived (seen in front of the decoder). Returns whether they begin a new
    /// request, so that the request-line guard starts over.
    mutating func bytesArrived(now: NIODeadline) -> Bool {
        guard betweenRequests else { return false }
        if life != .open { inputAfterClosingRequest = true }
        betweenRequests = false
        switch reading {
        case .awaitingRequest(let since, let first):
            // The first head's clock runs from the opening; a later one's from its first byte.
            reading = .readingHead(since: first ? since : now)
        case .readingHead, .readingBody:
            break
        }
        return true
    }

    /// A head is decoded. `serverDraining`: the server has begun to stop.
    mutating func headReceived(
        keepAliveRequested: Bool, declaresBody: Bool, isHTTP10: Bool, serverDraining: Bool
    ) -> HeadDecision {
        reading = .readingBody
        guard life == .open else {
            inputAfterClosingRequest = true
            return .ignore
        }
        if declaresBody { bodyDeclared = true }
        if !keepAliveRequested { closeRequested = true }
        let keepAlive = keepAliveRequested && !declaresBody && !inputClosed && !draining && !serverDraining
        return .answer(!keepAlive ? .close : isHTTP10 ? .keepAliveHTTP10 : .keepAlive)
    }

    /// The request's end is decoded.
    mutating func requestEnded(now: NIODeadline) {
        reading = .awaitingRequest(since: now, first: false)
        betweenRequests = true
    }

    /// A read of the channel ended: whether to flush, and the timer.
    mutating func readComplete(now: NIODeadline) -> (flush: Bool, actions: Actions) {
        if queue.isEmpty, case .awaitingRequest(_, first: false) = reading {
            reading = .awaitingRequest(since: now, first: false)
        }
        return (takeFlush(), Actions(armTimer: armIfNeeded()))
    }

    /// The channel asks to read: whether to pass the read on now (else it is held).
    mutating func readRequested() -> Bool {
        if !isLingering && mustPause {
            readHeld = true
            return false
        }
        return true
    }

    // MARK: Answers

    /// Queues a request's answer (`bytes`, or nil while it is being worked out) and
    /// returns its sequence number for ``fill(sequence:bytes:closes:)``.
    mutating func queueAnswer(_ bytes: ByteBuffer?, closes: Bool) -> Int {
        if closes { life = .closingAfterAnswers }
        let sequence = firstSequence + queue.count
        queue.append(Slot(bytes: bytes, closesConnection: closes))
        return sequence
    }

    /// The disposition an answer worked out later is written with: `Connection: close`
    /// once the connection or the server drains.
    func finalDisposition(_ requested: ConnectionDisposition, serverDraining: Bool) -> ConnectionDisposition {
        draining || serverDraining ? .close : requested
    }

    /// The answer for `sequence` is ready. False when the connection no longer waits for it.
    mutating func fill(sequence: Int, bytes: ByteBuffer, closes: Bool) -> Bool {
        let index = sequence - firstSequence
        guard index >= 0, index < queue.count, !lastAnswerTaken, !isLingering else { return false }
        let position = queue.index(queue.startIndex, offsetBy: index)
        queue[position].bytes = bytes
        if closes { queue[position].closesConnection = true }
        return true
    }

    /// The next answer to write, if the first in order is ready. Call until nil, then
    /// ``answersWritten(now:)``.
    mutating func nextWrite() -> ByteBuffer? {
        guard !lastAnswerTaken, !isLingering, let first = queue.first, let bytes = first.bytes else { return nil }
        queue.removeFirst()
        firstSequence += 1
        needsFlush = true
        if first.closesConnection || (draining && queue.isEmpty) {
            queue.removeAll()
            lastAnswerTaken = true
        }
        return bytes
    }

    /// The answers taken by ``nextWrite()`` are written: finish the connection if its
    /// last answer went out, else resume a held read.
    mutating func answersWritten(now: NIODeadline) -> Actions {
        if lastAnswerTaken { return finish(now: now) }
        if queue.isEmpty {
            if case .awaitingRequest(_, first: false) = reading { reading = .awaitingRequest(since: now, first: false) }
            if draining || inputClosed { return finish(now: now) }
        }
        return Actions(read: resumeRead(), armTimer: armIfNeeded())
    }

    /// Whether anything written waits for a flush (cleared by asking).
    mutating func takeFlush() -> Bool {
        defer { needsFlush = false }
        return needsFlush
    }

    /// Whether an error answer (400, 414, 431) can still be sent: not once the
    /// connection is closing.
    var canAnswer: Bool { life == .open }

    /// The last answer is out: shut our side once it is sent, linger reading and dropping
    /// input until the client closes or the linger bound passes. A client that asked for
    /// the close, sent no body and nothing after that request is not waited for: the
    /// connection closes once the answer is sent, as nginx's lingering close does (the
    /// half-close, the wait for the client's FIN and the linger timer cost a connection
    /// an extra wake-up, two system calls and a timer).
    private mutating func finish(now: NIODeadline) -> Actions {
        needsFlush = false
        guard !isLingering else { return .none }
        if inputClosed || (closeRequested && !bodyDeclared && !inputAfterClosingRequest) {
            life = .closed
            queue.removeAll()
            return Actions(close: .afterFlush)
        }
        // Without a body to drop there is little left to read: a short linger suffices.
        let linger = bodyDeclared ? limits.bodyTimeout : min(limits.bodyTimeout, .milliseconds(250))
        life = .lingering(until: now + linger)
        queue.removeAll()
        var actions = Actions(close: .outputAfterFlush, armTimer: armIfNeeded())
        if readHeld {
            readHeld = false
            actions.read = true
        }
        return actions
    }

    private mutating func closeNow() -> Actions {
        life = .closed
        return Actions(close: .now)
    }

    /// Lingering or closed: no more answers go out.
    private var isLingering: Bool {
        switch life {
        case .lingering, .closed: true
        case .open, .closingAfterAnswers: false
        }
    }

    // MARK: Backpressure

    private var mustPause: Bool { queue.count >= limits.maxPendingResponses || !writable }

    private mutating func resumeRead() -> Bool {
        guard readHeld, !mustPause else { return false }
        readHeld = false
        return true
    }

    /// The channel's writability changed: a stall starts the write timeout, its end resumes reading.
    mutating func writabilityChanged(isWritable: Bool, now: NIODeadline) -> Actions {
        writable = isWritable
        if isWritable {
            writeStalledSince = nil
            return Actions(read: resumeRead())
        }
        if writeStalledSince == nil { writeStalledSince = now }
        return Actions(armTimer: armIfNeeded())
    }

    // MARK: Timeouts

    /// When the connection must close unless something happens first.
    var deadline: NIODeadline? {
        switch life {
        case .lingering(let until): return until
        case .closed: return nil
        case .open, .closingAfterAnswers: break
        }
        var earliest: NIODeadline?
        func consider(_ candidate: NIODeadline) {
            if earliest.map({ candidate < $0 }) ?? true { earliest = candidate }
        }
        if let writeStalledSince { consider(writeStalledSince + limits.idleTimeout) }
        switch reading {
        case .awaitingRequest(let since, first: true), .readingHead(let since):
            consider(since + limits.headerTimeout)
        case .awaitingRequest(let since, first: false):
            if queue.isEmpty { consider(since + limits.idleTimeout) }
        case .readingBody:
            break
        }
        return earliest
    }

    /// The deadline to schedule a timer for, if no timer fires by ``deadline`` yet. A
    /// timer is moved only earlier; one that fires early re-arms itself, so a busy
    /// connection schedules about one timer per idle timeout.
    private mutating func armIfNeeded() -> NIODeadline? {
        guard let deadline else { return nil }
        if let timerAt, timerAt <= deadline { return nil }
        timerAt = deadline
        return deadline
    }

    /// The scheduled timer fired: close if the deadline has passed, else re-arm.
    mutating func timerFired(now: NIODeadline) -> Actions {
        timerAt = nil
        guard let deadline else { return .none }
        if deadline <= now { return closeNow() }
        return Actions(armTimer: armIfNeeded())
    }

    // MARK: Events

    /// The server stops (`ChannelShouldQuiesceEvent`): an idle connection (nothing queued,
    /// no head arriving) closes now; a busy one after the answers it owes.
    mutating func quiesce() -> Actions {
        draining = true
        if queue.isEmpty, case .awaitingRequest = reading { return closeNow() }
        return .none
    }

    /// The connection cap needs this connection's room: it closes now unless it is
    /// answering (then after the answers it owes, as in a drain).
    mutating func evict() -> Actions {
        draining = true
        guard queue.isEmpty else { return .none }
        switch reading {
        case .awaitingRequest, .readingHead: return closeNow()
        case .readingBody: return .none
        }
    }

    /// The client half-closed: answers owed are still written, then the connection closes.
    mutating func inputEnded() -> Actions {
        inputClosed = true
        if life == .closed { return .none }
        if isLingering || (queue.isEmpty && life == .open) { return closeNow() }
        return .none
    }

    /// What the connection cap sees of this connection now.
    var activity: Activity {
        guard life == .open, !draining, queue.isEmpty else { return .busy }
        switch reading {
        case .awaitingRequest(let since, first: true): return .waitingForFirstRequest(since: since)
        case .awaitingRequest(let since, first: false): return .idle(since: since)
        case .readingHead(let since): return .readingHead(since: since)
        case .readingBody: return .busy
        }
    }

    /// ``activity`` if it changed since last asked.
    mutating func takeActivityChange() -> Activity? {
        let now = activity
        guard now != publishedActivity else { return nil }
        publishedActivity = now
        return now
    }
}
