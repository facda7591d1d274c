#ifndef BOOKSHELF_CJANSSON_SHIM_H
#define BOOKSHELF_CJANSSON_SHIM_H

#include <jansson.h>
#include <malloc.h>

/* json_typeof and the json_is_* family are macros; Swift sees these instead. */
static inline json_type bs_json_typeof(const json_t *json) { return json_typeof(json); }

/* glibc keeps the memory of freed jansson nodes in its heap; a replayed view hands it back once (malloc.h
   is not in Swift's Glibc module). */
static inline int bs_malloc_trim(void) { return malloc_trim(0); }

#endif
