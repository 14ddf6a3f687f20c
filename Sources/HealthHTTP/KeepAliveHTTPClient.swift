public import NIOCore
public import NIOHTTP1
import NIOPosix

/// An HTTP/1.1 client that keeps its one connection to `target` open between requests
/// (keep-alive), one request at a time, and opens a new one when the server closed it
/// or a request failed. For a caller that sends to the same place again and again: the
/// span exporter, which opened and closed a TCP connection per batch (a connect, an
/// accept, two closes and a pipeline set up: about a third of a traced request's extra
/// CPU). Requests queue on the event loop; the caller sends one after the other.
public final class KeepAliveHTTPClient: Sendable {
    private let target: HTTPTarget
    private let eventLoop: any EventLoop
    /// The open connection, touched on `eventLoop` only.
    private let connection: NIOLoopBoundBox<(any Channel)?>

    /// A client of `target`, its connection on `eventLoop`.
    public init(_ target: HTTPTarget, eventLoop: any EventLoop) {
        self.target = target
        self.eventLoop = eventLoop
        connection = .makeEmptyBox(valueType: (any Channel).self, eventLoop: eventLoop)
    }

    /// POSTs `body` with `headers`, failing after `timeout` (and closing the connection
    /// then: a late answer must not be taken for the next request's).
    public func post(headers: HTTPHeaders, body: ByteBuffer, timeout: TimeAmount) -> EventLoopFuture<HTTPClient.Response> {
        eventLoop.flatSubmit { [self] in
            let promise = HTTPClient.answer(on: eventLoop, within: timeout) { [self] in close() }
            var headers = headers
            headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
            let head = HTTPClient.requestHead(.POST, target, headers: headers)
            open(timeout: timeout).whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    do {
                        try channel.pipeline.syncOperations.handler(type: ResponseCollector.self).expect(promise)
                    } catch {
                        promise.fail(HTTPClientError(description: "the connection lost its response handler: \(error)"))
                        return
                    }
                    channel.write(HTTPClientRequestPart.head(head), promise: nil)
                    channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil)
                    channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                case .failure(let error):
                    promise.fail(HTTPClient.connectFailure(target, error))
                }
            }
            promise.futureResult.whenFailure { [self] _ in close() }
            return promise.futureResult
        }
    }

    /// Closes the connection, if one is open.
    public func close() {
        eventLoop.execute { [self] in
            connection.value?.close(promise: nil)
            connection.value = nil
        }
    }

    /// The open connection, or a new one.
    private func open(timeout: TimeAmount) -> EventLoopFuture<any Channel> {
        if let open = connection.value, open.isActive { return eventLoop.makeSucceededFuture(open) }
        return HTTPClient.connect(target, on: eventLoop, timeout: timeout, expecting: nil).map { [self] channel in
            connection.value = channel
            channel.closeFuture.whenComplete { [self] _ in
                if connection.value === channel { connection.value = nil }
            }
            return channel
        }
    }
}
