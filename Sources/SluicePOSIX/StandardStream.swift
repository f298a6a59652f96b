import Glibc

/// Standard output and error, written with `write(2)` directly.
///
/// Each call is one `write` of the whole text (looping only on short writes),
/// so lines from concurrent processes sharing a pipe do not interleave
/// mid-line for writes up to PIPE_BUF bytes (pipe(7)).
public enum StandardStream: Int32, Sendable {
    case output = 1
    case error = 2

    /// Writes `text` followed by a newline.
    public func line(_ text: String) {
        write(text + "\n")
    }

    /// Writes `text` as it is. A closed stream (EPIPE) is ignored: nobody is listening.
    public func write(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(rawValue, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}
