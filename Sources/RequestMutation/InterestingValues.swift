// The values that break parsers, as fuzzers have found them again and again: integers at the
// edges of 32 and 64 bits, format strings, invalid UTF-8, the delimiters protocols split on.

import Framing

enum InterestingValues {
    /// Decimal integers at the edges: zero, small negatives (a length of -1 often means "null",
    /// -2 nothing), the 32- and 64-bit edges on both sides, and a 20-digit number past them.
    static let decimals: [String] = [
        "0", "-1", "-2", "1",
        "2147483647", "2147483648", "2147483649", "-2147483648", "-2147483649",
        "4294967295", "4294967296",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "18446744073709551615", "18446744073709551616", "99999999999999999999",
    ]

    static let hexadecimals: [String] = [
        "0", "-1", "ffffffff", "100000000", "7fffffffffffffff", "8000000000000000",
        "ffffffffffffffff", "10000000000000000", "00000000000000000001",
    ]

    /// Binary values for a prefix of `width` bytes: 0, 1, the top, and the sign edge.
    static func binaries(width: Int) -> [UInt64] {
        let bits = UInt64(width * 8)
        let top: UInt64 = bits == 64 ? .max : (1 << bits) - 1
        let sign: UInt64 = 1 << (bits - 1)
        return [0, 1, top, top - 1, sign, sign - 1, sign + 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff].map { $0 & top }
    }

    static let formatStrings: [String] = ["%s%s%s%s%s", "%n%n%n%n", "%x%x%x%x", "%99999999s", "%p%p%p", "%.1024d"]

    static let invalidUTF8: [[UInt8]] = [
        [0xff], [0xfe, 0xff], [0xc0, 0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80],
        [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80],
    ]

    /// What protocols split on: line ends (CR LF, a lone LF or CR), NUL, and separators. CR LF
    /// is listed twice: it ends a line in most text protocols, so it is the one most worth trying.
    static let delimiters: [[UInt8]] = [[0x0d, 0x0a], [0x0d, 0x0a], [0x0a], [0x0d], [0x00], [0x3b], [0x3a], [0x20], [0x0d, 0x0a, 0x0d, 0x0a], [0x2c]]

    /// Sizes of a long value: around the buffer sizes servers pick, up to 1 MiB.
    static let longLengths: [Int] = [1024, 4095, 4096, 4097, 8192, 65535, 65536, 65537, 1 << 20]

    /// How many times a unit is repeated.
    static let repetitions: [Int] = [2, 3, 4, 8, 16, 64, 100, 255, 256, 1000]

    /// The words of a framing's own syntax, which the seeds may not show: a chunk extension and
    /// the headers that decide where an HTTP body ends, RESP's type markers and null length.
    /// They seed the dictionary, ahead of `--dict` and what is learned.
    static func syntaxTokens(_ framing: Framing) -> [[UInt8]] {
        let words: [String]
        switch framing {
        case .http1: words = [";", ";ext=1", "chunked", "gzip, chunked", "Transfer-Encoding", "Content-Length", "Connection", "close",
                              "Expect", "100-continue", "HTTP/1.0"]
        case .resp: words = ["*", "$", "-1", "+", ":", "\r\n"]
        case .delimiter(let delimiter, _): return [delimiter]
        case .raw, .line, .length: words = []
        }
        return words.map { Array($0.utf8) }
    }
}
