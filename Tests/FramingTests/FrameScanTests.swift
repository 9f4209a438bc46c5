// The zero-copy scan agrees with the decoder: the same frame lengths for every known stream,
// nil for every incomplete prefix, and the same located error for malformed bytes.

import Framing
import Testing

@Suite("FrameScan finds the decoder's frames in place")
struct FrameScanTests {
    private func scan(_ framing: Framing, _ bytes: [UInt8], at offset: UInt64 = 0) throws(FramingError) -> Int? {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(FramingError) in try FrameScan.frameLength(framing, in: raw, streamOffset: offset) } }
        return try result.get()
    }

    @Test("each stream scans to its frames' lengths, front to back",
          arguments: frameStreams.filter { FrameScan.supports($0.framing) })
    func sameFrames(_ stream: FrameStream) throws {
        var rest = stream.bytes[...]
        for frame in stream.frames {
            #expect(try scan(stream.framing, Array(rest)) == frame.count, "\(FrameText.render(frame))")
            rest = rest.dropFirst(frame.count)
        }
        #expect(try scan(stream.framing, Array(rest)) == nil)
    }

    @Test("every strict prefix of a frame is incomplete, not an error",
          arguments: frameStreams.filter { FrameScan.supports($0.framing) })
    func prefixesIncomplete(_ stream: FrameStream) throws {
        for frame in stream.frames {
            for cut in 0..<frame.count {
                #expect(try scan(stream.framing, Array(frame[..<cut])) == nil, "\(FrameText.render(frame)) cut at \(cut)")
            }
        }
    }

    @Test("malformed bytes throw the decoder's error at the same stream offset")
    func sameErrors() {
        let cases: [(Framing, String)] = [
            (.resp(), "?what\r\n"), (.resp(), "$3\r\nabcXY"), (.resp(), "+no carriage return\n"),
            (.line(maxLength: 4), "too long a line\n"), (.delimiter(Array("END".utf8), maxLength: 3), "abcdefgh"),
        ]
        for (framing, text) in cases {
            var decoder = FrameDecoder(framing)
            var decoded: FramingError?
            do { _ = try decoder.feed(Array(text.utf8)) } catch { decoded = error }
            var scanned: FramingError?
            do { _ = try scan(framing, Array(text.utf8), at: 100) } catch { scanned = error }
            #expect(decoded != nil, "\(text)")
            #expect(scanned?.message == decoded?.message, "\(text)")
            #expect(scanned?.streamOffset == decoded.map { $0.streamOffset + 100 }, "\(text)")
        }
    }

    @Test("raw and http1 are left to the decoder")
    func unsupported() {
        #expect(!FrameScan.supports(.raw))
        #expect(!FrameScan.supports(.http1()))
    }
}
