import CZlib
import NIOCore
import Testing

@testable import HealthOTLP

/// The gzip bodies of span exports, read back with zlib's own inflate: one stream reused
/// across bodies of different sizes (as the exporter reuses it, batch after batch), and a
/// deflater that cannot be made says why (and frees what it had).
@Suite(.timeLimit(.minutes(2))) struct GzipDeflaterTests {
    @Test func bodiesOneAfterAnotherEachInflateToWhatWentIn() throws {
        let deflater = try GzipDeflater(level: GzipBatches.level)
        var random = SystemRandomNumberGenerator()
        // A span-like mix: repeated names and attributes, random ids; then one far
        // larger than any output buffer so far, then a single byte.
        let spanLike = (0..<600).flatMap { index -> [UInt8] in
            Array("check db.primary check.status pass http.route /health/ \(index)".utf8)
                + (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
        }
        let inputs: [[UInt8]] = [spanLike, (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }, [42]]
        var body = ByteBuffer()
        for input in inputs {
            try input.withUnsafeBytes { try deflater.compress($0, into: &body) }
            #expect(body.readableBytes > 18)  // a gzip header and trailer at least
            #expect(body.getBytes(at: body.readerIndex, length: 2) == [0x1F, 0x8B])  // gzip's magic
            #expect(try Self.inflate(body) == input)
        }
        #expect(body.readableBytes < 100)  // the last body alone, not appended to the others
    }

    @Test func aLevelZlibRefusesIsAnErrorSayingSo() {
        let error = #expect(throws: DeflateError.self) { try GzipDeflater(level: 42) }
        #expect(error?.description == "zlib deflateInit2 failed with \(Z_STREAM_ERROR)")
    }

    /// `body` inflated by zlib as a gzip member (windowBits 15 + 16). The stream at a fixed
    /// address: zlib refuses one that moved.
    private static func inflate(_ body: ByteBuffer) throws -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        try #require(inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { inflateEnd(stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var compressed = Array(body.readableBytesView)
        var result = Z_OK
        compressed.withUnsafeMutableBufferPointer { input in
            stream.pointee.next_in = input.baseAddress
            stream.pointee.avail_in = UInt32(input.count)
            while result == Z_OK {
                chunk.withUnsafeMutableBufferPointer { out in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = UInt32(out.count)
                    result = CZlib.inflate(stream, Z_NO_FLUSH)
                    output.append(contentsOf: out[0..<(out.count - Int(stream.pointee.avail_out))])
                }
            }
        }
        try #require(result == Z_STREAM_END, "inflate ended with \(result)")
        return output
    }
}
