// Process-wide settings and readings: the open-file limit, SIGPIPE, descriptor counts.
import Glibc

extension Sys {
    /// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
    @discardableResult
    public static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(limit.rlim_cur)
    }

    /// The soft limit on open files now.
    public static func openFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int(limit.rlim_cur)
    }

    /// Sets the soft limit (tests use this to provoke EMFILE). Returns false if refused.
    @discardableResult
    public static func setOpenFileLimit(_ soft: Int) -> Bool {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return false }
        limit.rlim_cur = rlim_t(soft)
        return setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0
    }

    /// A write to a closed socket must be an EPIPE error, never a process-killing signal.
    public static func ignoreSIGPIPE() {
        _ = signal(SIGPIPE, SIG_IGN)
    }

    /// How many descriptors this process holds, read from /proc/self/fd.
    public static func openDescriptorCount() -> Int {
        guard let dir = opendir("/proc/self/fd") else { return -1 }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            let name = entry.pointee.d_name.0
            if name != 46 /* "." */ { count += 1 }
        }
        return count - 1 // the directory stream's own descriptor
    }

    /// Resident set size of this process in bytes, from /proc/self/statm (second field, pages).
    public static func residentBytes() -> Int {
        let fd = Glibc.open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return -1 }
        defer { Glibc.close(fd) }
        var bytes = [UInt8](repeating: 0, count: 256)
        let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 256) }
        guard n > 0 else { return -1 }
        let fields = String(decoding: bytes[..<n], as: UTF8.self).split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { return -1 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Monotonic clock in nanoseconds.
    @inline(__always)
    public static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Wall clock (CLOCK_REALTIME) in nanoseconds since the epoch: for start times shared
    /// between processes and hosts, never for measuring intervals.
    public static func wallClockNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
    }
}

extension Sys {
    /// Descriptors of this process that are TCP sockets bound to the address a server listens on
    /// (other than its listener): the connections that server holds, found from outside its books
    /// (so a leak shows).
    ///
    /// The whole address counts, not the port alone: a port number is unique per address only.
    /// Another socket of this process may hold the same port on [::1] or 127.0.0.2 (a server of
    /// another family, a client bound to a source address), and counting it once failed a
    /// correct server's `expect server descriptors == 0` while other tests ran beside it.
    public static func connectedSockets(boundTo server: SocketAddress) -> Int {
        guard let dir = opendir("/proc/self/fd") else { return -1 }
        defer { closedir(dir) }
        let own = dirfd(dir)
        var count = 0
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let fd = Int32(name), fd != own else { continue }
            guard let address = try? localAddress(fd), server.accepts(on: address) else { continue }
            // A listening socket shares the address; it is not a connection.
            var listening: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            if getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 && listening != 0 { continue }
            count += 1
        }
        return count
    }
}
