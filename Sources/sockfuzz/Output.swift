// Writing to the terminal: straight to the descriptors, so output from a long run is never held
// in a stdio buffer when a signal ends the process.

import Glibc

enum Output {
    static func line(_ text: String = "") { write(1, text + "\n") }
    static func error(_ text: String) { write(2, text + "\n") }

    static func write(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n < 0 && errno == EAGAIN {
                    // A non-blocking pipe (some CI runners hand one over) that is full: wait for
                    // room (at most a minute) rather than lose the verdict line.
                    var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    let rc = poll(&ready, 1, 60_000)
                    if rc > 0 || (rc < 0 && errno == EINTR) { continue }
                    return
                }
                if n <= 0 { return }
                offset += n
            }
        }
    }
}

extension String {
    /// Left-aligned in a column of `width` characters.
    func padded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    /// Right-aligned in a column of `width` characters.
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
