/* Internals of compiler/explore shared between its files: the #line map of
 * the eBPF C (cmap.c). Not for other stages. */
#ifndef ZSC_EXPLORE_PARTS_H
#define ZSC_EXPLORE_PARTS_H

#include "explore/explore.h"

/* Reads the `#line` directives of the eBPF C (lines, 1-based as count lines
 * in an array from 0) the way the C preprocessor does: the presumed file and
 * line of every C line, which is what clang writes into the BPF line info.
 * c_name is the name the C itself has before any #line; src_file the input. */
struct explore_cmap *explore_cmap_build(struct arena *a, const char *src_file, const char *c_name,
                                        const char *const *lines, size_t count);

/* src and c_line of C line c_line (1-based): the Caddyfile line when its
 * presumed file is the input, and the first C line sharing its location. */
void explore_cmap_at(const struct explore_cmap *m, size_t c_line, struct explore_link *out);

/* src and c_line of a BPF line-info location (file, line); both stay 0 for
 * a location the eBPF C does not hold (stdlib-bpf code). */
void explore_cmap_find(const struct explore_cmap *m, const char *file, uint32_t line, struct explore_link *out);

#endif
