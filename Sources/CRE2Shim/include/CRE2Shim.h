// A small C interface to RE2 (Debian's libre2-dev), the regular-expression engine whose syntax
// Kubernetes and cel-go use: matching takes time linear in the input, and patterns that need
// backtracking (backreferences, lookaround) are refused when they are compiled.
#ifndef SLUICE_CRE2SHIM_H
#define SLUICE_CRE2SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct SluiceRE2 SluiceRE2;

/// Compiles `pattern` (UTF-8, `length` bytes, RE2 syntax). On failure returns NULL and writes
/// RE2's message, NUL-terminated and cut to `errorCapacity` bytes, to `error`.
SluiceRE2 *_Nullable sluice_re2_compile(const char *_Nonnull pattern, size_t length,
                                        char *_Nonnull error, size_t errorCapacity);

void sluice_re2_free(SluiceRE2 *_Nullable re);

/// Whether the expression matches anywhere in `text` (unanchored, as CEL's `matches`).
int sluice_re2_matches(const SluiceRE2 *_Nonnull re, const unsigned char *_Nullable text, size_t length);

/// Searches `text` from byte `start` on; `^` and `\b` still see the text before `start`. On a
/// match returns 1 and its byte range in `*matchStart` ..< `*matchEnd`; else returns 0.
int sluice_re2_search(const SluiceRE2 *_Nonnull re, const unsigned char *_Nullable text, size_t length, size_t start,
                      size_t *_Nonnull matchStart, size_t *_Nonnull matchEnd);

#ifdef __cplusplus
}
#endif

#endif
