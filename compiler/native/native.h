/* Native code: caged C compiled by clang (x86_64, aarch64) or in-process by
 * libtcc (x86_64), then relocated into one position-independent image. */
#ifndef ZSC_NATIVE_H
#define ZSC_NATIVE_H

#include <stddef.h>
#include <stdint.h>

#include "../../abi/blob.h"
#include "base/arena.h"
#include "base/diag.h"

enum native_cc { NATIVE_CC_CLANG, NATIVE_CC_TCC };

struct native_symbol {
  const char *name;
  uint64_t offset;             /* from the start of the image */
  uint64_t size;
};

struct native_line {
  uint64_t offset;             /* native offset in the image */
  uint32_t c_line;             /* line in the caged C */
};

struct native_image {
  enum zs_arch arch;
  uint8_t *code;               /* text, then the text's own read-only data, relocated */
  size_t code_size;
  size_t text_size;            /* executable bytes at the start */
  struct native_symbol *symbols;   /* every function, entries included */
  size_t symbol_count;
  struct native_line *lines;   /* sorted by offset; empty when the compiler gave none */
  size_t line_count;
};

int native_compile(struct arena *a, const char *caged_c, enum zs_arch arch, enum native_cc cc,
                   const char *clang, struct native_image *out, struct diag *d);

struct strbuf;
struct bpf_program;

/* `zsc --emit=asm`: the image disassembled (LLVM), one line per instruction
 * with its offset, a label per function, and where the caged C line changes,
 * that line (whose comment names the eBPF instruction and Caddyfile line).
 * prog may be NULL. Returns 0, or -1 when no disassembler is available. */
int native_disasm(struct arena *a, const struct native_image *img, const struct bpf_program *prog,
                  const char *caged_c, struct strbuf *out);

#endif
