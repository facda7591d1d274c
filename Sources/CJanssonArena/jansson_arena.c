#include "jansson_arena.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum {
    CHUNK_BYTES = 64 * 1024,
    /* Larger requests (an unusually big object's hash table) go to malloc even inside a scope. */
    LARGEST_PLACED = CHUNK_BYTES / 8,
    /* Spare chunks beyond this many are handed back to the kernel (their pages, not their addresses). */
    RESIDENT_SPARES = 64,
};

/* Chunks are carved from one reservation of address space, so that a free tells an arena block from a
 * malloc block by its address alone: neither kind needs a header. Pages are committed as they are first
 * written. Were the reservation used up, documents would go to malloc. */
static const size_t REGION_BYTES = (size_t)256 << 20;

/* A chunk is its thread's current one until it is full; then it is retired. While it is current, its
 * owner counts its own frees in a plain integer (most nodes die on the thread that parsed them, and an
 * atomic operation per free would cost much of what the arena saves), and other threads subtract one
 * from `outstanding` each. `outstanding` starts at BIAS, so it cannot reach zero while the chunk is
 * current. Retiring subtracts BIAS - (placed - freed_by_owner): what is left is the number of live
 * blocks, every later free subtracts one, and whichever subtraction brings it to zero makes the chunk a
 * spare. */
static const long BIAS = (long)1 << 40;

struct chunk {
    _Atomic long outstanding;
    long placed;         /* owner only */
    long freed_by_owner; /* owner only, while current */
    char *next;          /* owner only */
    struct chunk *next_spare;
    _Alignas(16) char blocks[];
};

static char *region;
static char *region_end;
static atomic_size_t region_used;

static pthread_mutex_t spares_lock = PTHREAD_MUTEX_INITIALIZER;
static struct chunk *spares;
static long spare_count;
static atomic_long chunks_in_use;

static __thread struct chunk *current;
static __thread int depth;
static pthread_key_t exit_key;

static int in_region(const void *pointer) {
    return (const char *)pointer >= region && (const char *)pointer < region_end;
}

static struct chunk *chunk_of(const void *pointer) {
    return (struct chunk *)(region + (((const char *)pointer - region) & ~(uintptr_t)(CHUNK_BYTES - 1)));
}

static void make_spare(struct chunk *chunk) {
    atomic_fetch_sub_explicit(&chunks_in_use, 1, memory_order_relaxed);
    pthread_mutex_lock(&spares_lock);
    if (spare_count >= RESIDENT_SPARES) madvise(chunk, CHUNK_BYTES, MADV_DONTNEED);
    chunk->next_spare = spares;
    spares = chunk;
    spare_count += 1;
    pthread_mutex_unlock(&spares_lock);
}

static struct chunk *take_chunk(void) {
    pthread_mutex_lock(&spares_lock);
    struct chunk *chunk = spares;
    if (chunk) {
        spares = chunk->next_spare;
        spare_count -= 1;
    }
    pthread_mutex_unlock(&spares_lock);
    if (!chunk) {
        size_t offset = atomic_fetch_add_explicit(&region_used, CHUNK_BYTES, memory_order_relaxed);
        if (!region || offset + CHUNK_BYTES > REGION_BYTES) return NULL;
        chunk = (struct chunk *)(region + offset);
    }
    atomic_init(&chunk->outstanding, BIAS);
    chunk->placed = 0;
    chunk->freed_by_owner = 0;
    chunk->next = chunk->blocks;
    atomic_fetch_add_explicit(&chunks_in_use, 1, memory_order_relaxed);
    return chunk;
}

static void retire(struct chunk *chunk) {
    long delta = BIAS - (chunk->placed - chunk->freed_by_owner);
    if (atomic_fetch_sub_explicit(&chunk->outstanding, delta, memory_order_acq_rel) == delta) make_spare(chunk);
}

static void retire_at_thread_exit(void *chunk) {
    if (chunk == current) current = NULL;
    retire(chunk);
}

static void *arena_malloc(size_t size) {
    if (depth == 0 || size > LARGEST_PLACED) return malloc(size);
    size_t needed = (size + 7) & ~(size_t)7;
    if (!current || current->next + needed > (char *)current + CHUNK_BYTES) {
        struct chunk *chunk = take_chunk();
        if (!chunk) return malloc(size);
        if (current) retire(current);
        current = chunk;
        pthread_setspecific(exit_key, chunk);
    }
    void *block = current->next;
    current->next += needed;
    current->placed += 1;
    return block;
}

static void arena_free(void *pointer) {
    if (!in_region(pointer)) {
        free(pointer);
        return;
    }
    struct chunk *chunk = chunk_of(pointer);
    if (chunk == current) {
        chunk->freed_by_owner += 1;
        return;
    }
    if (atomic_fetch_sub_explicit(&chunk->outstanding, 1, memory_order_acq_rel) == 1) make_spare(chunk);
}

void bs_jansson_arena_enter(void) {
    if (depth++ > 0 || !current) return;
    /* Every block placed so far is freed (and no other thread can free one now): start over, while the
     * chunk is still in cache. */
    long live = current->placed - current->freed_by_owner;
    if (atomic_load_explicit(&current->outstanding, memory_order_acquire) == BIAS - live) {
        atomic_store_explicit(&current->outstanding, BIAS, memory_order_relaxed);
        current->placed = 0;
        current->freed_by_owner = 0;
        current->next = current->blocks;
    }
}

void bs_jansson_arena_leave(void) {
    depth -= 1;
}

long bs_jansson_arena_chunks(void) {
    return atomic_load_explicit(&chunks_in_use, memory_order_relaxed);
}

__attribute__((constructor)) static void install(void) {
    /* An escape hatch for memory debuggers, and the way to measure what the arena saves. */
    const char *setting = getenv("BOOKSHELF_JANSSON_ARENA");
    if (setting && !strcmp(setting, "off")) return;
    void *reserved = mmap(NULL, REGION_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (reserved == MAP_FAILED) return;
    /* Chunks must start at multiples of CHUNK_BYTES from `region`; mmap's page alignment is enough,
     * since chunk_of measures from `region` itself. */
    region = reserved;
    region_end = region + REGION_BYTES;
    pthread_key_create(&exit_key, retire_at_thread_exit);
    json_set_alloc_funcs(arena_malloc, arena_free);
}
