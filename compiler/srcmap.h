/* The blob's source map: native offset -> eBPF instruction -> caged-C line ->
 * Caddyfile line, joined from what the native, lift and bpf stages recorded. */
#ifndef ZSC_SRCMAP_H
#define ZSC_SRCMAP_H

#include <stddef.h>

#include "abi/blob.h"
#include "base/arena.h"
#include "bpf/program.h"
#include "native/native.h"

/* Rows for every native line entry; src_file is 0 (the only source, index 0). */
void srcmap_build(struct arena *a, const struct bpf_program *prog, const char *caged_c,
                  const struct native_image *image, const struct zs_srcmap_row **rows, size_t *count);

/* the eBPF instruction of each caged-C line (1-based; -1 for lines that hold
 * none), read off the "  / * PC" comment the lifter opens each statement with */
long *srcmap_caged_lines(struct arena *a, const char *caged_c, size_t *line_count);

#endif
