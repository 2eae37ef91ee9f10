#ifndef SLUICE_CMALLOC_SHIM_H
#define SLUICE_CMALLOC_SHIM_H
#include <stddef.h>
#include <stdlib.h>

/* glibc's allocator keeps the memory a program frees for reuse, spread over up to 8 arenas per
   core; malloc.h is not part of Swift's Glibc module. On another C library these report nothing
   and do nothing. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>
#define SLUICE_HAS_GLIBC_MALLOC 1
/* Bytes handed out and not yet freed, in all arenas and in chunks mapped on their own. */
static inline size_t sluice_malloc_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}
/* Returns the free pages of every arena to the system; 1 when some memory was released. */
static inline int sluice_malloc_trim(void) { return malloc_trim(0); }
/* Arenas made from now on: at most `count` (those already made stay). 1 on success. */
static inline int sluice_malloc_limit_arenas(int count) { return mallopt(M_ARENA_MAX, count); }
#else
#define SLUICE_HAS_GLIBC_MALLOC 0
static inline size_t sluice_malloc_in_use(void) { return 0; }
static inline int sluice_malloc_trim(void) { return 0; }
static inline int sluice_malloc_limit_arenas(int count) { (void)count; return 0; }
#endif
static inline int sluice_malloc_available(void) { return SLUICE_HAS_GLIBC_MALLOC; }
#endif
