// An OpenSSL failure at set-up (a context, a certificate, a CA file), with OpenSSL's own
// reasons drained from its error queue. Shared by the embedded server and the client engine.

import COpenSSL

public struct TLSSetupError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ what: String) {
        let reasons = OpenSSLErrors.drain()
        description = reasons.isEmpty ? what : "\(what): \(reasons.joined(separator: "; "))"
    }
}

public enum OpenSSLErrors {
    /// OpenSSL's queued error reasons for this thread, oldest first; the queue is left empty.
    public static func drain() -> [String] {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons
    }
}
