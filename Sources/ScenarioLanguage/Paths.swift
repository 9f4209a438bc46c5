// How paths in scenarios are resolved: relative to the directory of the file that mentions them,
// normalized lexically so include-cycle detection sees `a/../b.scn` and `b.scn` as one file.

public enum ScenarioPaths {
    /// `path` as seen from `file`: absolute paths stay, relative ones are joined to `file`'s
    /// directory (a file with no directory part, like `<repl>`, means the current directory).
    /// Use it for `send SEL file PATH` with the statement's `location.file`, as `include` does.
    public static func resolve(_ path: String, relativeTo file: String) -> String {
        if path.hasPrefix("/") { return normalize(path) }
        let directory = self.directory(of: file)
        return normalize(directory.isEmpty ? path : directory + "/" + path)
    }

    /// Everything before the last `/`, or "" when there is none.
    public static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "" }
        return slash == file.startIndex ? "/" : String(file[..<slash])
    }

    /// Removes `.` and empty components and folds `dir/..`; no file-system access (no symlinks).
    public static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            switch part {
            case ".": continue
            case "..":
                if let last = parts.last, last != ".." {
                    parts.removeLast()
                } else if !absolute {
                    parts.append(part)  // a relative path may climb above its start
                }
            default: parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }
}
