/* Shared state of the verifier's two passes: verify.c (instructions, jumps,
 * calls, function shape) and verify_flow.c (call graph, depth, stack use). */
#ifndef ZSC_BPF_VERIFY_H
#define ZSC_BPF_VERIFY_H

#include <stdbool.h>

#include "bpf.h"

struct verify_ctx {
  struct bpf_program *prog;
  struct diag *d;
  struct arena *scratch;       /* freed when bpf_verify returns */
  uint32_t *func_of;           /* instruction -> index into prog->funcs */
  bool *second_slot;           /* instruction is the second half of a ld_imm64 */
};

void verify_error(struct verify_ctx *c, size_t pc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* call depth, recursion and stack use; 0 or -1 */
int verify_flow(struct verify_ctx *c);

#endif
