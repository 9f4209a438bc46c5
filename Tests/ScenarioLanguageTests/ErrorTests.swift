// Every kind of error, each pinned to its exact message and `line:column`, so messages stay
// short and locations keep pointing at the offending token.

import Testing
@testable import ScenarioLanguage

struct ErrorCase: Sendable, CustomTestStringConvertible {
    var name: String
    var source: String
    var expected: String
    var files: [String: String] = [:]

    var testDescription: String { name }
}

private let web = "connect web 10\n"

let errorCases: [ErrorCase] = [
    // Lexical
    ErrorCase(name: "unterminated string", source: #"print "abc"#,
              expected: #"1:7: unterminated string: missing closing '"'"#),
    ErrorCase(name: "bad escape", source: #"print "a\qb""#,
              expected: #"1:9: unknown escape '\q': use \r \n \t \\ \" \0 or \xHH"#),
    ErrorCase(name: "bad \\x escape", source: #"print "\xZZ""#,
              expected: #"1:8: expected two hex digits after '\x', got 'ZZ'"#),
    ErrorCase(name: "string glued to a word", source: web + #"send web"x""#,
              expected: #"2:9: unexpected '"' after 'web': put a space before the string"#),
    // Commands and structure
    ErrorCase(name: "unknown command inside a block", source: web + "repeat 2 {\n        sned web \"x\"\n}",
              expected: "3:9: unknown command 'sned'"),
    ErrorCase(name: "string where a command belongs", source: #"  "hi""#,
              expected: #"1:3: expected a command, got "hi""#),
    ErrorCase(name: "trailing garbage", source: "server stop now",
              expected: "1:13: unexpected 'now' after the end of the command"),
    ErrorCase(name: "unclosed repeat", source: "sleep 1s\nrepeat 2 {\n  sleep 1s",
              expected: "2:1: unclosed 'repeat' block: no '}' before the end of the file"),
    ErrorCase(name: "stray closing brace", source: "sleep 1s\n  }",
              expected: "2:3: '}' without a matching 'repeat N {'"),
    ErrorCase(name: "repeat without brace", source: "repeat 2",
              expected: "1:9: expected '{' after the repeat count, got end of line"),
    ErrorCase(name: "unknown server subcommand", source: "server restart",
              expected: "1:8: unknown server command 'restart': expected start, stop, stats or mode"),
    ErrorCase(name: "unknown setting", source: "set timeot 1s",
              expected: "1:5: unknown setting 'timeot': expected timeout, connect-timeout, stall-timeout, rcvbuf, framing or show"),
    ErrorCase(name: "print without a string", source: "print hello",
              expected: "1:7: expected a quoted string after 'print', got 'hello'"),
    ErrorCase(name: "missing selector", source: "send",
              expected: "1:5: expected a selector after 'send', got end of line"),
    ErrorCase(name: "missing payload", source: web + "send web",
              expected: #"2:9: expected what to send: a "string", hex, file or random, got end of line"#),
    // Selectors and groups
    ErrorCase(name: "bad group name in selector", source: web + #"send we$b "x""#,
              expected: "2:6: invalid group name 'we$b': use letters, digits, '_' and '-', starting with a letter or '_'"),
    ErrorCase(name: "selector missing ]", source: web + #"send web[3 "x""#,
              expected: "2:9: missing ']' in selector 'web[3'"),
    ErrorCase(name: "selector with a bad index", source: web + #"send web[x] "x""#,
              expected: "2:10: expected an index like 3 or a range like 0..9 in 'web[x]', got 'x'"),
    ErrorCase(name: "selector with an empty range", source: web + "close web[5..2]",
              expected: "2:11: empty range '5..2' in 'web[5..2]': the low end is above the high end"),
    ErrorCase(name: "index on *", source: "close *[1]",
              expected: "1:7: expected a group name before '[' in '*[1]'"),
    ErrorCase(name: "group used before connect", source: #"send web "x""#,
              expected: "1:6: unknown group 'web': no 'connect web N' before this line"),
    ErrorCase(name: "index out of range", source: web + #"send web[10] "x""#,
              expected: "2:10: index 10 is out of range for 'web' (10 connections: 0..9)"),
    ErrorCase(name: "range end out of range", source: web + "close web[5..12]",
              expected: "2:14: range 5..12 is out of range for 'web' (10 connections: 0..9)"),
    ErrorCase(name: "index past the first pass of a repeat", source: "repeat 3 {\n connect db 10\n close db[25]\n}",
              expected: "3:11: index 25 is out of range for 'db' (10 connections: 0..9)"),
    ErrorCase(name: "keyword as a group name", source: "connect echo 1",
              expected: "1:9: 'echo' is a keyword, not a group name"),
    // Numbers
    ErrorCase(name: "bad count", source: "connect web ten",
              expected: "1:13: expected a count like 200 or 10k, got 'ten'"),
    ErrorCase(name: "zero connections", source: "connect web 0",
              expected: "1:13: connection count must be at least 1, got 0"),
    ErrorCase(name: "bad duration", source: "sleep 3x",
              expected: "1:7: expected a duration like 250ms or 2s, got '3x'"),
    ErrorCase(name: "duration without unit", source: "sleep 3",
              expected: "1:7: duration '3' needs a unit, like 3ms or 3s"),
    ErrorCase(name: "duration finer than a nanosecond", source: "sleep 1.5ns",
              expected: "1:7: duration '1.5ns' is finer than a nanosecond"),
    ErrorCase(name: "duration too large", source: "sleep 999999999999h",
              expected: "1:7: duration '999999999999h' is too large"),
    ErrorCase(name: "zero timeout", source: "set timeout 0",
              expected: "1:13: timeout must be above zero"),
    ErrorCase(name: "bad size", source: web + "send web random 4QB",
              expected: "2:17: expected a size like 64, 4KiB or 1MiB, got '4QB'"),
    ErrorCase(name: "size range low above high", source: web + "send web random 8KiB..1KiB",
              expected: "2:17: empty range '8KiB..1KiB': the low end is above the high end"),
    ErrorCase(name: "bad high end of a range", source: web + "send web random 1..x",
              expected: "2:20: expected a size like 64, 4KiB or 1MiB, got 'x'"),
    ErrorCase(name: "missing option value", source: web + "send web random 1 gap=",
              expected: "2:23: expected a duration like 250ms or 2s, got nothing"),
    ErrorCase(name: "bad seed", source: "seed -1",
              expected: "1:6: expected a seed like 42 or 0x2a (up to 2^64-1), got '-1'"),
    ErrorCase(name: "zero rate", source: "connect web 1 rate=0/s",
              expected: "1:20: rate '0/s' must be above zero"),
    ErrorCase(name: "rate that is no count", source: "connect web 1 rate=fast",
              expected: "1:20: expected a rate like 5000, 5000/s or 10k/s (a bare count is per second), got 'fast'"),
    ErrorCase(name: "zero bare rate", source: "connect web 1 rate=0",
              expected: "1:20: rate '0' must be above zero"),
    // Payloads
    ErrorCase(name: "odd hex", source: web + #"send web hex "486""#,
              expected: "2:14: odd number of hex digits (3) in hex string"),
    ErrorCase(name: "invalid hex digit", source: web + #"send web hex "48 6g""#,
              expected: "2:19: invalid hex digit 'g' in hex string"),
    // Options
    ErrorCase(name: "unknown option", source: "connect web 1 speed=3",
              expected: "1:15: unknown option 'speed=3' for 'connect': expected rate=, timeout=, framing=, sni=, alpn=, verify=, ca=, version= or tls"),
    ErrorCase(name: "duplicate option", source: "connect web 1 rate=1/s rate=2/s",
              expected: "1:24: duplicate option 'rate='"),
    ErrorCase(name: "load without pacing", source: web + "load web size=64 duration=1s",
              expected: "2:1: 'load' needs depth=N or rate=R/s"),
    ErrorCase(name: "load with both depth and rate", source: web + "load web size=64 depth=1 rate=1/s duration=1s",
              expected: "2:26: give depth= or rate=, not both"),
    // Server
    ErrorCase(name: "unknown mode", source: "server start turbo",
              expected: "1:14: unknown server mode 'turbo': expected busy, select, epoll or uring"),
    ErrorCase(name: "edge without epoll", source: "server start select edge",
              expected: "1:21: 'edge' needs mode epoll, not select"),
    ErrorCase(name: "unknown fault", source: "server start epoll fault=no-such-fault",
              expected: "1:26: unknown fault 'no-such-fault': expected one of edge-single-read, close-before-flush, drop-on-partial-write, leak-on-reset, stall-slow-reader, unbounded-queue, corrupt-echo, tls-ignore-pending, tls-no-close-notify"),
    ErrorCase(name: "epoll-only fault in another mode", source: "server start select fault=edge-single-read",
              expected: "1:27: fault edge-single-read needs mode epoll, not select"),
    ErrorCase(name: "TLS fault that needs epoll in another mode", source: "server start busy fault=tls-ignore-pending",
              expected: "1:25: fault tls-ignore-pending needs mode epoll, not busy"),
    ErrorCase(name: "cert= without tls", source: "server start epoll cert=c.pem key=k.pem",
              expected: "1:8: 'cert=' and 'key=' need 'tls' (server start MODE tls cert=FILE key=FILE)"),
    ErrorCase(name: "cert= without key=", source: "server start epoll tls cert=c.pem",
              expected: "1:8: a TLS certificate needs its key: give both 'cert=' and 'key=', or neither"),
    ErrorCase(name: "duplicate tls", source: "server start epoll tls tls",
              expected: "1:24: duplicate option 'tls'"),
    ErrorCase(name: "load depth past its bound", source: web + "load web size=64 depth=1G duration=1s",
              expected: "2:24: depth 1000000000 is too large (at most 65536 messages in flight per connection)"),
    ErrorCase(name: "load rate too slow", source: web + "load web size=64 rate=1/10000h duration=1s",
              expected: "2:23: rate 1/10000h is too slow (at least 1/h)"),
    ErrorCase(name: "server port out of range", source: "server start epoll port=70000",
              expected: "1:25: expected a port 0-65535, got '70000'"),
    ErrorCase(name: "IPv6 target without brackets", source: "target ::1:80",
              expected: "1:8: an IPv6 address needs brackets, like [::1]:7, got '::1:80'"),
    ErrorCase(name: "target port out of range", source: "target host:99999",
              expected: "1:13: expected a port 1-65535, got '99999'"),
    // Expectations
    ErrorCase(name: "unknown stat", source: "expect server accept == 1",
              expected: "1:15: unknown server stat 'accept': expected accepted, active, peer_eofs, resets, refused_over_limit, "
                  + ServerStat.allCases.dropFirst(5).dropLast().map(\.rawValue).joined(separator: ", ")
                  + " or \(ServerStat.allCases.last!.rawValue)"),
    ErrorCase(name: "bad comparison", source: "expect server accepted => 1",
              expected: "1:24: expected a comparison (==, !=, <, <=, > or >=), got '=>'"),
    ErrorCase(name: "latency bound other than < or <=", source: web + "expect web p99 > 5ms",
              expected: "2:16: a latency bound takes '<' or '<=', got '>'"),
    ErrorCase(name: "unknown expectation", source: web + "expect web foo",
              expected: "2:12: unknown expectation 'foo': expected echo, recv, match, eof, reset, open, refused, closed, truncated, "
                  + "connected, skip, drain, reply, replies, no-reply, tls, tls-version, alpn or a percentile like p99"),
    ErrorCase(name: "alive's match= without probe= would match nothing", source: #"expect target alive match="^zzz" within 1s"#,
              expected: #"1:21: match= checks the answer to probe=: give probe="..." too (without it, alive checks only that a connection is accepted)"#),
    ErrorCase(name: "bad regex", source: web + #"expect web match "(ab""#,
              expected: #"2:18: invalid regular expression "(ab""#),
    ErrorCase(name: "a pattern that matches zero bytes holds before anything arrives", source: web + #"expect web match "ERROR|""#,
              expected: #"2:18: the pattern "ERROR|" matches zero bytes, so it would hold before anything arrived: make it match at least one byte"#),
    ErrorCase(name: "an optional or starred pattern matches zero bytes too", source: web + #"expect web match "z*" within 1s"#,
              expected: #"2:18: the pattern "z*" matches zero bytes, so it would hold before anything arrived: make it match at least one byte"#),
    ErrorCase(name: "within without a duration", source: web + "expect web echo within",
              expected: "2:23: expected a duration after 'within', got end of line"),
    // Includes
    ErrorCase(name: "include of a missing file", source: "sleep 1s\ninclude nope.scn",
              expected: "2:9: cannot read included file 'nope.scn'"),
    ErrorCase(name: "include cycle", source: "include a.scn",
              expected: "2:9: include cycle: test.scn -> a.scn -> test.scn",
              files: ["a.scn": "sleep 1s\ninclude test.scn", "test.scn": "include a.scn"]),
    ErrorCase(name: "error inside an included file", source: "sleep 1s\ninclude lib/b.scn",
              expected: "1:7: expected a duration like 250ms or 2s, got 'soon'",
              files: ["lib/b.scn": "sleep soon"]),
]

@Suite("Errors")
struct ErrorTests {
    @Test("each error has its message and exact line:column", arguments: errorCases)
    func located(_ c: ErrorCase) {
        #expect(failure(c.source, files: c.files) == c.expected)
    }

    @Test("description is file:line:column: message")
    func description() {
        do {
            _ = try ScenarioParser.parse(source: "connect web 1\nrepeat 2 {\n        sned web \"x\"\n}", file: "demo.scn")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "demo.scn:3:9: unknown command 'sned'")
        }
    }

    @Test("errors in an included file are located in that file")
    func includedLocation() throws {
        do {
            _ = try parse("include lib/b.scn", files: ["lib/b.scn": "\n  sleep soon"])
            Issue.record("expected an error")
        } catch {
            #expect(error.location == ScenarioLanguage.SourceLocation(file: "lib/b.scn", line: 2, column: 9))
        }
    }
}
