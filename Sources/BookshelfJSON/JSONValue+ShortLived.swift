import CJanssonArena

extension JSONValue {
    /// Runs `body` with every jansson node it creates on this thread placed in the thread's arena (see
    /// CJanssonArena's header): a bump of a pointer instead of a malloc, and a count instead of a free.
    /// For documents that are dropped soon after, such as an event being decoded or encoded: a node of
    /// them that is kept keeps its whole 64 KiB chunk allocated. `body` is synchronous, so it ends on the
    /// thread it began on; the nodes may be freed anywhere, later.
    package static func withShortLivedNodes<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        bs_jansson_arena_enter()
        defer { bs_jansson_arena_leave() }
        return try body()
    }
}
