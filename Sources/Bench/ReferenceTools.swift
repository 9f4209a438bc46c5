// The yardsticks, echo_ref.c, loadc.c, relay_ref.c and tls_echo_ref.c (the project's own, in Benchmarks/reference, unless
// --ref-dir names another folder), compiled with `cc -O2` into the scratch folder. When a source
// or cc is missing, the cells that need them are skipped and the reason is reported.

import Glibc

public struct ReferenceTools: Sendable {
    /// Path of the built echo_ref, or nil with `echoRefProblem` saying why.
    public var echoRef: String?
    public var echoRefProblem: String?
    public var loadc: String?
    public var loadcProblem: String?
    /// relay_ref (section 7): the C relay `sockfuzz proxy` is measured against.
    public var relayRef: String?
    public var relayRefProblem: String?
    /// tls_echo_ref (section 6), linked with -lssl -lcrypto.
    public var tlsEchoRef: String?
    public var tlsEchoRefProblem: String?

    public init(echoRef: String? = nil, echoRefProblem: String? = nil, loadc: String? = nil, loadcProblem: String? = nil) {
        self.echoRef = echoRef
        self.echoRefProblem = echoRefProblem
        self.loadc = loadc
        self.loadcProblem = loadcProblem
    }

    /// Compiles `refDir`/echo_ref.c, loadc.c and relay_ref.c into `scratch`, and tls_echo_ref.c when
    /// `tls` (it needs libssl-dev; only the TLS section uses it).
    public static func build(refDir: String, scratch: String, tls: Bool = false) -> ReferenceTools {
        var tools = ReferenceTools()
        guard let cc = findExecutable("cc") ?? findExecutable("gcc") ?? findExecutable("clang") else {
            tools.echoRefProblem = "no C compiler (cc) on PATH"
            tools.loadcProblem = tools.echoRefProblem
            tools.tlsEchoRefProblem = tools.echoRefProblem
            tools.relayRefProblem = tools.echoRefProblem
            return tools
        }
        func compile(_ name: String, libraries: [String] = []) -> (String?, String?) {
            let source = "\(refDir)/\(name).c"
            guard access(source, R_OK) == 0 else { return (nil, "\(source) not found (--ref-dir)") }
            let output = "\(scratch)/\(name)"
            do {
                let child = try ChildProcess([cc, "-O2", "-o", output, source] + libraries, logPath: "\(scratch)/\(name).build.log")
                guard child.waitForExit(timeoutNanos: 120_000_000_000) else {
                    child.stop()
                    return (nil, "cc -O2 \(source) took over 2 minutes")
                }
                guard child.exitStatus == 0 else { return (nil, "cc -O2 \(source) failed: \(child.logTail(3))") }
                return (output, nil)
            } catch {
                return (nil, error.description)
            }
        }
        (tools.echoRef, tools.echoRefProblem) = compile("echo_ref")
        (tools.loadc, tools.loadcProblem) = compile("loadc")
        (tools.relayRef, tools.relayRefProblem) = compile("relay_ref")
        if tls { (tools.tlsEchoRef, tools.tlsEchoRefProblem) = compile("tls_echo_ref", libraries: ["-lssl", "-lcrypto"]) }
        return tools
    }

    /// The first `name` on PATH that is executable.
    public static func findExecutable(_ name: String) -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
