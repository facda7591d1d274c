import CMalloc

/// glibc malloc settings for a whole process: a choice of the executable, which knows what the process does,
/// not of a library, which cannot know what else shares the process.
enum MallocTuning {
    /// Keeps `bytes` of freed memory at the top of every malloc arena of this process instead of returning it
    /// to the kernel, for a process whose main work is forwarding through `BookshelfHTTPClient` (the gateway).
    ///
    /// The client's thread allocates and frees a few buffers per request (libcurl's receive buffer, the answer),
    /// and with tens of requests in flight the free top of its arena keeps crossing glibc's trim threshold: the
    /// arena gave pages back and took fresh zeroed ones again (0.2–0.3 page faults per forwarded request in the
    /// gateway's benchmark, none with this). The cost is at most `bytes` more resident memory per arena.
    /// Call it once, at start, before the threads whose arenas it is meant for exist.
    static func keepFreedArenaTop(bytes: Int32 = 1 << 20) {
        _ = mallopt(M_TOP_PAD, bytes)
    }
}
