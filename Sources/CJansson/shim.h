#ifndef BOOKSHELF_CJANSSON_SHIM_H
#define BOOKSHELF_CJANSSON_SHIM_H

#include <jansson.h>

/* json_typeof and the json_is_* family are macros; Swift sees these instead. */
static inline json_type bs_json_typeof(const json_t *json) { return json_typeof(json); }

#endif
