import Glibc

/// Writes all of `text` to `descriptor` with write(2), which may take less than it is given and may be
/// interrupted by a signal. Any other failure (a closed pipe, a full disk) ends it: the text was for the
/// destination that just failed, so there is nobody left to tell.
package func writeAll(_ text: String, to descriptor: Int32) {
    var text = text
    text.withUTF8 { writeAll(UnsafeRawBufferPointer($0), to: descriptor) }
}

package func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) {
    var rest = bytes
    while !rest.isEmpty {
        let written = Glibc.write(descriptor, rest.baseAddress, rest.count)
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        rest = UnsafeRawBufferPointer(rebasing: rest[written...])
    }
}
