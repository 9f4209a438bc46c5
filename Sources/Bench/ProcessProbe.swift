// Readings of a process from outside, through /proc: CPU time, resident memory, the sockets it
// holds; and CPU pinning with sched_setaffinity (through the C shim). Linux only.

import CSockfuzz
import Glibc

public enum ProcessProbe {
    public static let clockTicksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    public static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// utime + stime of every thread of `pid`, in seconds (clock-tick resolution), from
    /// /proc/PID/stat fields 14 and 15. nil when the process is gone.
    public static func cpuSeconds(_ pid: pid_t) -> Double? {
        guard let text = readFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces), starting at field 3 (state).
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / clockTicksPerSecond
    }

    /// User + system CPU of this process so far, in seconds (microsecond resolution).
    public static func ownCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// Resident set size of `pid` in bytes, from /proc/PID/statm (second field, pages).
    public static func residentBytes(_ pid: pid_t) -> Int? {
        guard let text = readFile("/proc/\(pid)/statm") else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { return nil }
        return pages * pageSize
    }

    /// How many sockets `pid` holds (listening ones included), from the links in /proc/PID/fd.
    public static func socketCount(_ pid: pid_t) -> Int? {
        guard let dir = opendir("/proc/\(pid)/fd") else { return nil }
        defer { closedir(dir) }
        var count = 0
        var target = [CChar](repeating: 0, count: 64)
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.first != "." else { continue }
            let n = readlink("/proc/\(pid)/fd/\(name)", &target, target.count - 1)
            guard n > 7 else { continue }
            if target.prefix(7).map({ UInt8(bitPattern: $0) }) == Array("socket:".utf8) { count += 1 }
        }
        return count
    }

    /// The whole file as text (files under /proc report size 0, so read until EOF).
    public static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n > 0 { bytes.append(contentsOf: buffer[..<n]); continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: pinning

    /// CPUs this process may run on.
    public static func onlineCPUs() -> Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Pins the calling thread to `cpu`; false if refused.
    @discardableResult
    public static func pinCallingThread(to cpu: Int) -> Bool { csf_pin_to_cpu(0, Int32(cpu)) == 0 }

    /// The thread ids of `pid` (from /proc), nil when it is gone.
    static func threads(of pid: pid_t) -> [pid_t]? {
        guard let dir = opendir("/proc/\(pid)/task") else { return nil }
        defer { closedir(dir) }
        var tids: [pid_t] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let tid = Int32(name) { tids.append(tid) }
        }
        return tids
    }

    /// Pins every thread of `pid` to `cpu`; false if any thread refused.
    @discardableResult
    public static func pinProcess(_ pid: pid_t, to cpu: Int) -> Bool {
        guard let tids = threads(of: pid), !tids.isEmpty else { return false }
        return tids.map { csf_pin_to_cpu($0, Int32(cpu)) == 0 }.allSatisfy { $0 }
    }

    /// Whether every thread of `pid` may run on `cpu` alone.
    public static func isPinned(_ pid: pid_t, to cpu: Int) -> Bool {
        guard let tids = threads(of: pid), !tids.isEmpty else { return false }
        return tids.allSatisfy { csf_affinity_mask($0) == UInt64(1) << UInt64(cpu) }
    }

    /// The 1-minute load average.
    public static func loadAverage() -> Double? {
        readFile("/proc/loadavg")?.split(separator: " ").first.flatMap { Double($0) }
    }

    public static func kernel() -> String {
        var u = utsname()
        uname(&u)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return "\(field(u.sysname)) \(field(u.release)) \(field(u.machine))"
    }

    public static func cpuModel() -> String? {
        guard let text = readFile("/proc/cpuinfo") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            }
        }
        return nil
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
