// Writing report files (JUnit, JSON, bench pages): checked for writability before any traffic,
// written whole through a temporary file and a rename, and errors said with errno's words.

import ArgumentParser
import Foundation
import Glibc
import Syscalls

enum Reports {
    /// Why `path` cannot be written, or nil when it can. Creates nothing that stays: a file made
    /// to test the folder is removed again.
    static func unwritable(_ path: String) -> String? {
        guard !path.isEmpty else { return "empty path" }
        var info = stat()
        if stat(path, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR { return "is a directory" }
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            if fd < 0 { return SystemError.describe(errno) }
            close(fd)
            return nil
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 {
            let e = errno
            return e == ENOENT ? missing(path) : SystemError.describe(e)
        }
        close(fd)
        unlink(path)
        return nil
    }

    /// ENOENT on create: the folder is missing, or it exists and takes no new files (`/proc`).
    private static func missing(_ path: String) -> String {
        let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        var info = stat()
        guard stat(folder.isEmpty ? "/" : folder, &info) == 0 else { return "no such directory: \(folder)" }
        return "cannot create a file in \(folder.isEmpty ? "/" : folder): \(SystemError.describe(ENOENT))"
    }

    /// Writes `text` to `path`; on failure prints one line naming the option and exits 2.
    static func write(_ text: String, to path: String, option: String) throws {
        if !tryWrite(text, to: path, option: option) { throw ExitCode(2) }
    }

    /// `value` as JSON (indented, keys sorted so reruns diff cleanly), written like `write`.
    static func writeJSON(_ value: some Encodable, to path: String, option: String = "--json") throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try write(String(decoding: try encoder.encode(value), as: UTF8.self), to: path, option: option)
    }

    /// Writes `text` to `path`; on failure prints one line naming the option and returns false.
    static func tryWrite(_ text: String, to path: String, option: String) -> Bool {
        guard let problem = writeFile(text, to: path) else { return true }
        Output.error("sockfuzz: cannot write \(option) \(path): \(problem)")
        return false
    }

    /// Writes `text` whole or not at all (temporary file, then rename); the problem, or nil.
    static func writeFile(_ text: String, to path: String) -> String? {
        if let problem = unwritable(path) { return problem }
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return SystemError.describe(errno) }
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                let e = errno
                close(fd)
                unlink(temporary)
                return SystemError.describe(e)
            }
            offset += n
        }
        bytes.removeAll()
        close(fd)
        if rename(temporary, path) != 0 {
            let e = errno
            unlink(temporary)
            return SystemError.describe(e)
        }
        return nil
    }
}
