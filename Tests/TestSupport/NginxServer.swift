// nginx started for a test: its own config in a scratch directory (listen 127.0.0.1 on a free
// port, pid and error log in the scratch, `daemon off`, `master_process off`, so the process
// started is the one serving), a small static site, killed by its pid.

import Foundation
import Glibc
import Syscalls

public final class NginxServer {
    public let directory: String
    public let port: Int
    public var address: String { "127.0.0.1:\(port)" }
    private let process: Process

    /// Starts `executable` serving `files` (path in the site -> contents) and waits (up to
    /// 20 s) until it accepts connections; with `tls` (PEM certificate and key paths), over
    /// TLS 1.2/1.3 only.
    public init(executable: String, files: [String: String], tls: (certificate: String, key: String)? = nil) throws {
        var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("sockfuzz-nginx-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard let made else { throw TestSetupError("mkdtemp failed") }
        directory = String(cString: made)
        let site = directory + "/www"
        try FileManager.default.createDirectory(atPath: site, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/tmp", withIntermediateDirectories: true)
        for (path, contents) in files { try contents.write(toFile: site + "/" + path, atomically: true, encoding: .utf8) }
        port = try Sys.freeLoopbackPort()
        let temp = directory + "/tmp"
        let tlsLines = tls.map { " ssl_certificate \($0.certificate); ssl_certificate_key \($0.key); ssl_protocols TLSv1.2 TLSv1.3;" } ?? ""
        let config = """
            daemon off;
            master_process off;
            pid \(directory)/nginx.pid;
            error_log \(directory)/error.log;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path \(temp);
                proxy_temp_path \(temp);
                fastcgi_temp_path \(temp);
                uwsgi_temp_path \(temp);
                scgi_temp_path \(temp);
                server { listen 127.0.0.1:\(port)\(tls == nil ? "" : " ssl"); root \(site); keepalive_requests 1000;\(tlsLines) }
            }
            """
        try config.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-e", directory + "/error.log", "-p", directory, "-c", directory + "/nginx.conf"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline && process.isRunning {
            if case .success = TCPConnect.tryOnce(SocketAddress.loopback(port: port), within: 1_000_000_000) { return }
            usleep(20_000)
        }
        let log = (try? String(contentsOfFile: directory + "/error.log", encoding: .utf8)) ?? ""
        stop()
        throw TestSetupError("nginx did not accept on \(port): \(log.suffix(400))")
    }

    /// SIGKILL to this process only, then wait. Not SIGTERM: Foundation starts the child with
    /// the test runner's signal mask, where SIGTERM may be blocked (nginx then ignores it), and
    /// a single nginx process serving static files has nothing to flush.
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}
