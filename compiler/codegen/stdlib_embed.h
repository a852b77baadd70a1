/* stdlib-bpf as zsc carries it: the prebuilt eBPF object, and the headers
 * generated C includes (zs.h and the abi headers behind it), so zsc can
 * compile and link a program without the source tree. The headers blob is a
 * sequence of NUL-terminated pairs: file name, then file content. */
#ifndef ZSC_CODEGEN_STDLIB_EMBED_H
#define ZSC_CODEGEN_STDLIB_EMBED_H

#include <stddef.h>

extern const unsigned char zs_stdlib_bpf_obj[];
extern const size_t zs_stdlib_bpf_obj_len;
extern const unsigned char zs_stdlib_bpf_headers[];
extern const size_t zs_stdlib_bpf_headers_len;

/* Writes every embedded header into dir (which must exist), so that
 * `clang -I dir` finds "zs.h". Returns 0 or a negative errno. */
int stdlib_embed_write_headers(const char *dir);

/* The embedded header called name (e.g. "zs.h"): its text and length, or
 * NULL when there is no such header. */
const char *stdlib_embed_header(const char *name, size_t *len);

#endif
