// The processes the bench starts inherit nothing but standard input, output and error: a
// socket handed down from whatever started the bench (a test runner, a CI agent) would count as
// one of a server's connections, and every wait for "no client connections" would run out its
// timeout (the docs' `bench --quick --only 2,4` took 42 s instead of 8 under such a parent).

import Bench
import Foundation
import Glibc
import Testing
import TestSupport

@Suite("processes the bench starts", .sharesDescriptorTable)
struct ChildProcessTests {
    /// The descriptors a child started by ChildProcess has open, as `ls /proc/self/fd` lists
    /// them (the one `ls` opens to read the folder included).
    static func childDescriptors() throws -> [Int] {
        let log = NSTemporaryDirectory() + "sockfuzz-child-\(getpid()).log"
        defer { unlink(log) }
        let child = try ChildProcess(["/bin/ls", "/proc/self/fd"], logPath: log)
        defer { child.stop() }
        #expect(child.waitForExit(timeoutNanos: 30_000_000_000))
        return child.standardOutput.split(separator: "\n").compactMap { Int($0) }.sorted()
    }

    @Test("a descriptor this process holds without close-on-exec does not reach the child")
    func inheritsOnlyTheStandardThree() throws {
        // The fault: a socket left inheritable, as a parent that does not set FD_CLOEXEC leaves it.
        let leaked = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(leaked >= 0)
        defer { close(leaked) }
        #expect(fcntl(leaked, F_GETFD) & FD_CLOEXEC == 0, "the socket is inheritable")
        let seen = try Self.childDescriptors()
        #expect(!seen.contains(Int(leaked)), "\(seen)")
        // 0, 1, 2 and the folder `ls` reads: nothing else.
        #expect(seen.count == 4 && Array(seen.prefix(3)) == [0, 1, 2], "\(seen)")
    }
}
