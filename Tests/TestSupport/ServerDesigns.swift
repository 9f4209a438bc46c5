// The embedded server's designs a test runs in: the three readiness designs everywhere, and
// uring where io_uring works here. Elsewhere (an old kernel, io_uring_disabled, a seccomp
// profile) uring's cases are left out and `uringAvailable` is skipped saying why, except under
// CI=true, where they run and fail: CI must have io_uring.

import CUring
import Testing
import Vocabulary

public enum ServerDesigns {
    /// Why io_uring cannot be used in this process, or nil when it can.
    public static let uringUnavailable: String? = {
        let rc = csf_uring_probe()
        return rc == 0 ? nil : "io_uring cannot be set up here (errno \(-rc)): the uring design's tests are left out"
    }()

    public static var uringRuns: Bool { uringUnavailable == nil || RequiredTool.underCI }

    /// busy, select, epoll, and uring where it runs.
    public static let all: [BackendKind] = BackendKind.pollers + (uringRuns ? [.uring] : [])
}

@Suite("server designs")
struct ServerDesignsTests {
    @Test("io_uring is available for the uring design", .enabled(if: ServerDesigns.uringRuns, Comment(rawValue: ServerDesigns.uringUnavailable ?? "")))
    func uringAvailable() throws {
        try #require(ServerDesigns.uringUnavailable == nil, "\(ServerDesigns.uringUnavailable ?? "")")
    }
}
