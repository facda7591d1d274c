#ifndef BOOKSHELF_JANSSON_ARENA_H
#define BOOKSHELF_JANSSON_ARENA_H

/* Where jansson puts the nodes of short-lived documents.
 *
 * A replay parses hundreds of thousands of events, each a tree of about forty jansson allocations that
 * lives for microseconds: malloc and free were a fifth of the time spent per event. Between
 * bs_jansson_arena_enter() and bs_jansson_arena_leave(), this thread's jansson allocations are placed one
 * after the other in a 64 KiB chunk of its own instead. Freeing such a node (on any thread, at any later
 * time) only counts it; a chunk becomes a spare, for any thread to take next, once every node placed in
 * it is freed, and the thread's current chunk is reused from its start when that happens. Outside a
 * scope, and for large blocks, jansson gets malloc as before.
 *
 * A node that outlives its document pins its whole chunk, so only documents that are dropped soon belong
 * in a scope (a decoded event, not a schema kept for the life of the process).
 *
 * The allocator is installed before main (json_set_alloc_funcs), so that it frees every jansson block
 * the process ever allocates. It is its own translation unit because that constructor and the
 * per-thread state must exist exactly once in the process. */

/* Places this thread's jansson allocations in its arena until the matching leave. Scopes nest. */
void bs_jansson_arena_enter(void);
void bs_jansson_arena_leave(void);

/* Chunks in use (current or holding live nodes), over all threads: for tests. */
long bs_jansson_arena_chunks(void);

#endif
