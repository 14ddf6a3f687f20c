import CZlib
import NIOCore

/// Compresses span exports into gzip members (RFC 1952) with zlib, for a collector that
/// asked for them (`OTEL_EXPORTER_OTLP_COMPRESSION=gzip`: the body goes with
/// `Content-Encoding: gzip`).
///
/// One zlib stream, reset between bodies: its ~270 KB of state is allocated once, not per
/// export. Not thread-safe: one export at a time uses it (``SpanExporter`` has at most one
/// in flight), on whichever thread that export is compressed on.
final class GzipDeflater {
    /// zlib keeps a pointer back to the stream it was initialised with and refuses one
    /// that moved, so the stream lives at a fixed address.
    private let stream: UnsafeMutablePointer<z_stream>

    /// A deflater at compression `level` (1, fastest, to 9, smallest).
    init(level: Int32) throws(DeflateError) {
        // Set up before `self.stream` is: a throw after that would run deinit as well.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // windowBits 15 + 16: a gzip header and trailer around the deflate data.
        let result = deflateInit2_(
            stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard result == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw DeflateError(description: "zlib deflateInit2 failed with \(result)")
        }
        self.stream = stream
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Replaces `output`'s readable bytes with `input` as one gzip member.
    func compress(_ input: UnsafeRawBufferPointer, into output: inout ByteBuffer) throws(DeflateError) {
        defer { deflateReset(stream) }
        output.clear()
        guard input.count <= Int(UInt32.max), let start = input.baseAddress else {
            throw DeflateError(description: "cannot compress \(input.count) bytes in one gzip body")
        }
        // Room for the whole member: one deflate call with Z_FINISH ends the stream.
        let bound = Int(deflateBound(stream, UInt(input.count)))
        var result: Int32 = Z_OK
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { room in
            guard let out = room.baseAddress else { return 0 }
            stream.pointee.next_in = UnsafeMutablePointer(mutating: start.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = UInt32(input.count)
            stream.pointee.next_out = out.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = UInt32(min(room.count, Int(UInt32.max)))
            result = deflate(stream, Z_FINISH)
            stream.pointee.next_in = nil
            stream.pointee.next_out = nil
            return result == Z_STREAM_END ? Int(stream.pointee.total_out) : 0
        }
        guard result == Z_STREAM_END else {
            let message = stream.pointee.msg.map { String(cString: $0) } ?? "no message"
            throw DeflateError(description: "zlib deflate of \(input.count) bytes ended with \(result) (\(message))")
        }
    }
}

/// What went wrong in zlib while deflating an export body: the call, its result code
/// and message.
struct DeflateError: Error, CustomStringConvertible {
    let description: String
}
