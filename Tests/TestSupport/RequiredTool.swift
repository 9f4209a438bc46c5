// Programs some tests need but sockfuzz does not ship (socat, redis-server, memcached, nginx, cc). Where one is
// missing its tests are reported as skipped, never passed; under CI=true they run anyway and
// fail, naming the program, because there .ci/run must have installed it.

import Foundation
import Testing

public struct RequiredTool: Sendable {
    public let name: String
    /// How to get it, for the skip and failure messages.
    public let install: String
    /// Where it is, or nil when it is not installed.
    public let path: String?

    public init(_ name: String, install: String) {
        self.name = name
        self.install = install
        path = Self.locate(name)
    }

    public static let socat = RequiredTool("socat", install: "apt-get install socat")
    public static let redisServer = RequiredTool("redis-server", install: "apt-get install redis-server")
    public static let cc = RequiredTool("cc", install: "apt-get install gcc")
    public static let nginx = RequiredTool("nginx", install: "apt-get install nginx")
    public static let openssl = RequiredTool("openssl", install: "apt-get install openssl")
    public static let memcached = RequiredTool("memcached", install: "apt-get install memcached")
    public static let python3 = RequiredTool("python3", install: "apt-get install python3")

    /// CI sets CI=true; there a missing tool is a broken CI setup, not a reason to skip.
    public static var underCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Whether its tests run: when it is installed, and always under CI (to fail there).
    public var testsRun: Bool { path != nil || Self.underCI }

    /// The first line of a test that needs it: its path, or a recorded failure saying it is
    /// missing (only reached under CI, since the test is skipped otherwise).
    public func requirePath(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(path, "\(name) missing: .ci/run must install it (\(install))", sourceLocation: sourceLocation)
    }
}

extension Trait where Self == ConditionTrait {
    /// Skips the test where `tool` is not installed, except under CI=true (see RequiredTool).
    public static func needs(_ tool: RequiredTool) -> Self {
        .enabled(if: tool.testsRun, Comment(rawValue: "\(tool.name) is not installed (\(tool.install))"))
    }
}

extension RequiredTool {
    /// The first executable `name` on PATH, then in the usual system folders.
    static func locate(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init)
            + ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        return folders.lazy.filter { !$0.isEmpty }.map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
