// What the console needs to know about the terminal: whether a descriptor is one, how wide it
// is, and where the user's history file lives.

import Foundation
import Glibc

enum Terminal {
    static func isTTY(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Columns of the terminal on `fd`; 80 when it is not a terminal or does not say.
    static func columns(_ fd: Int32 = 1) -> Int {
        var size = winsize()
        if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let n = Int(text), n > 0 { return n }
        return 80
    }

    /// The user's home directory: $HOME, else the password database.
    static var home: String? {
        if let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty { return home }
        guard let entry = getpwuid(getuid()), let dir = entry.pointee.pw_dir else { return nil }
        return String(cString: dir)
    }

    /// `~/x` and `~` expanded; anything else unchanged.
    static func expandTilde(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/"), let home else { return path }
        return home + path.dropFirst()
    }

    /// `path` made absolute against the current directory, normalized (no `.`/`..`); a leading
    /// `~` is the home directory unless `expandingTilde` is false (scenario paths do not expand it).
    static func absolute(_ path: String, expandingTilde: Bool = true) -> String {
        let expanded = expandingTilde ? expandTilde(path) : path
        if expanded.hasPrefix("/") { return normalize(expanded) }
        return normalize(FileManager.default.currentDirectoryPath + "/" + expanded)
    }

    private static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
