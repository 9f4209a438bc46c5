// However a frame stream is cut — at every single point, into single bytes, or at random points
// in 10,000 random ways — the decoder yields the same frames, with the same offsets.

import Framing
import Testing

@Suite("Framing is independent of fragmentation")
struct FragmentationTests {
    /// Decodes `stream` fed in the pieces `cuts` makes (sorted offsets inside the stream).
    static func decode(_ stream: FrameStream, cuts: [Int]) throws -> [Frame] {
        var decoder = FrameDecoder(stream.framing)
        for method in stream.methods { decoder.noteRequest(isHEAD: method == "HEAD") }
        let bytes = stream.bytes
        var frames: [Frame] = []
        var start = 0
        for end in cuts + [bytes.count] where end >= start {
            frames += try decoder.feed(Array(bytes[start..<end]))
            start = end
        }
        if stream.needsEOF { frames += try decoder.finish() }
        return frames
    }

    static func expect(_ frames: [Frame], _ stream: FrameStream, _ how: String) {
        if case .raw = stream.framing { return }
        #expect(frames.map(\.bytes) == stream.frames, "\(stream.name), \(how)")
        var offset: UInt64 = 0
        for frame in frames {
            #expect(frame.streamOffset == offset, "\(stream.name), \(how)")
            offset += UInt64(frame.bytes.count)
        }
    }

    @Test("the whole stream at once", arguments: frameStreams)
    func whole(_ stream: FrameStream) throws {
        Self.expect(try Self.decode(stream, cuts: []), stream, "whole")
    }

    @Test("cut in two at every point", arguments: frameStreams)
    func everyCut(_ stream: FrameStream) throws {
        for cut in 0...stream.bytes.count {
            Self.expect(try Self.decode(stream, cuts: [cut]), stream, "cut at \(cut)")
        }
    }

    @Test("one byte at a time", arguments: frameStreams)
    func byteByByte(_ stream: FrameStream) throws {
        Self.expect(try Self.decode(stream, cuts: Array(0..<stream.bytes.count)), stream, "byte by byte")
    }

    @Test("10,000 random fragmentations")
    func random() throws {
        var rng = SplitMix(seed: 20261201)
        for trial in 0..<10_000 {
            let stream = frameStreams[trial % frameStreams.count]
            let n = stream.bytes.count
            let pieces = Int(rng.next() % 12)
            let cuts = (0..<pieces).map { _ in Int(rng.next() % UInt64(n + 1)) }.sorted()
            Self.expect(try Self.decode(stream, cuts: cuts), stream, "trial \(trial), cuts \(cuts)")
        }
    }

    @Test("after 101 Switching Protocols the rest of the stream passes through raw")
    func switchingProtocols() throws {
        var http = FrameDecoder(.http1())
        let head = Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n".utf8)
        let frames = try http.feed(head + [0x81, 0x02]) + http.feed([0x68, 0x69])
        #expect(frames.first?.bytes == head)
        #expect(frames.dropFirst().flatMap(\.bytes) == [0x81, 0x02, 0x68, 0x69])
    }

    @Test("payloads leave out terminators and prefixes")
    func payloads() throws {
        var line = FrameDecoder(.line())
        #expect(try line.feed(Array("a\r\nb\n".utf8)).map { Array($0.payloadBytes) } == [Array("a".utf8), Array("b".utf8)])
        var length = FrameDecoder(.length(LengthPrefix(width: 2)))
        #expect(try length.feed([0, 2, 7, 8]).map { Array($0.payloadBytes) } == [[7, 8]])
        var http = FrameDecoder(.http1())
        #expect(try http.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi".utf8)).map { Array($0.payloadBytes) } == [Array("hi".utf8)])
    }
}

/// A tiny seeded generator, so every random trial reproduces.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
