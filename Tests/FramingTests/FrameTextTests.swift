// How a frame is shown in a failure: mostly printable bytes as a string literal the scenario
// language reads back (its own escapes), anything else as a hex dump.

import Framing
import Testing

@Suite("FrameText shows frames as the language writes them")
struct FrameTextTests {
    @Test("a printable frame is a literal with the language's escapes, NUL as \\0")
    func literal() {
        let frame: [UInt8] = Array("+OK \"q\" a\\b\r\n".utf8) + [0x00] + Array("0123456789".utf8)
        #expect(FrameText.render(frame) == "\"+OK \\\"q\\\" a\\\\b\\r\\n\\00123456789\"")
    }

    @Test("a RESP error names an unknown type byte with the same escapes")
    func unknownTypeByte() throws {
        var decoder = FrameDecoder(.resp())
        let error = try #require(decoder.feedKeepingFrames([0x00, 0x0d, 0x0a]).error)
        #expect("\(error)".contains("unknown RESP type byte \\0"), "\(error)")
    }
}
