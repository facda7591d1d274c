#ifndef BOOKSHELF_CMALLOC_SHIM_H
#define BOOKSHELF_CMALLOC_SHIM_H

/* mallopt and its parameters (M_TOP_PAD …): glibc's process-wide malloc tuning, not in Swift's Glibc module. */
#include <malloc.h>

#endif
