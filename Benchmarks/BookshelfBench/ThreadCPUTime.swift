import Glibc

/// CPU time of the calling thread in seconds: on a machine shared with other work, steadier than wall time.
func threadCPUTime() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
