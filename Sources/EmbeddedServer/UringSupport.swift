// Whether the uring design can run here: io_uring may be missing (an old kernel), switched off
// (the kernel's io_uring_disabled) or refused (a container's seccomp profile). Asked once.

import CUring
import Glibc
import Syscalls

public enum UringSupport {
    /// Why io_uring cannot be used in this process, or nil when it can.
    public static let unavailable: String? = {
        let rc = csf_uring_probe()
        return rc == 0 ? nil : reason(-rc)
    }()

    /// What an io_uring setup failure means, in a user's terms.
    public static func reason(_ errno: Int32) -> String {
        let why: String
        switch errno {
        case ENOSYS: why = "this kernel has no io_uring"
        case EPERM, EACCES: why = "io_uring is switched off here (the kernel's io_uring_disabled, or a seccomp profile)"
        case EINVAL: why = "this kernel's io_uring lacks provided buffer rings (Linux 5.19 or later is needed)"
        default: why = "io_uring cannot be set up"
        }
        return "\(why): \(SystemError.describe(errno))"
    }
}
