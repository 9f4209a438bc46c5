// The folder findings go to (`--out`): made if missing and proven writable before any traffic,
// and each finding written into it whole, or the reason it could not be.

import Foundation
import Glibc

public enum FindingFile {
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Where a finding went: its file, or why it is not on disk (both nil: no folder was asked for).
    public struct Outcome: Sendable {
        public var path: String?
        public var notWritten: String?
    }

    /// Writes a finding's `text` into `directory` (nil: findings are not written) and tells
    /// `onEvent` where it went, or why not.
    static func record(_ text: String, directory: String?, name: String, onEvent: (FuzzEvent) -> Void) -> Outcome {
        guard let directory else { return Outcome() }
        switch write(text, directory: directory, name: name) {
        case .success(let full):
            onEvent(.wrote(path: full))
            return Outcome(path: full)
        case .failure(let problem):
            onEvent(.notWritten(reason: problem.description))
            return Outcome(notWritten: problem.description)
        }
    }

    /// Makes `directory` (and its parents) if missing and checks a file can be created in it;
    /// the problem, or nil. The probe file is removed again.
    public static func prepare(_ directory: String) -> Problem? {
        guard !directory.isEmpty else { return Problem(description: "empty path") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { return Problem(description: "exists and is not a directory") }
        } else {
            if let problem = makeDirectories(directory) { return problem }
        }
        let probe = (directory as NSString).appendingPathComponent(".sockfuzz-write-test-\(getpid())")
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return Problem(description: "cannot create a file in it: \(String(cString: strerror(errno)))") }
        close(fd)
        unlink(probe)
        return nil
    }

    /// `mkdir -p`, saying which folder could not be made and errno's reason.
    static func makeDirectories(_ directory: String) -> Problem? {
        var path = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            path += "/" + component
            if mkdir(path, 0o755) != 0 && errno != EEXIST {
                return Problem(description: "cannot create the directory \(path): \(String(cString: strerror(errno)))")
            }
        }
        return nil
    }

    /// Writes `text` as `directory/name`: the full path, or why it could not be written.
    static func write(_ text: String, directory: String, name: String) -> Result<String, Problem> {
        if let problem = prepare(directory) { return .failure(problem) }
        let full = (directory as NSString).appendingPathComponent(name)
        do {
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        } catch {
            return .failure(Problem(description: "cannot write \(full): \(reason(error))"))
        }
        return .success(full)
    }

    /// The POSIX reason under a Foundation error, not "NSCocoaErrorDomain error 512".
    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        return ns.localizedDescription
    }
}
