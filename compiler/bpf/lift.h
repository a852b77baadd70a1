/* The lifter: a linked eBPF program (program.h) -> "caged C", one freestanding
 * C translation unit in which every register is a local, every jump a goto and
 * every memory access goes through the cage (abi/cage.h, abi/native.h). */
#ifndef ZSC_BPF_LIFT_H
#define ZSC_BPF_LIFT_H

#include <stddef.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "bpf/program.h"

/* The texts lift_program embeds at the top of its output: abi/native.h and
 * compiler/native/caged_prelude.h, generated into the zsc_native library. */
extern const unsigned char zs_native_h[];
extern const size_t zs_native_h_len;
extern const unsigned char zs_caged_prelude[];
extern const size_t zs_caged_prelude_len;

/* Appends the caged C of prog to out. Every eBPF function becomes
 * `static u64 f_<start>(ctx, r1..r5, r10)`; every entry function (is_entry)
 * is also exported as `zs_entry_<name>` (a name already starting with
 * zs_entry_ is kept). Returns 0, or -1 after reporting to d. */
int lift_program(struct arena *a, const struct bpf_program *prog, struct strbuf *out, struct diag *d);

/* The --emit=caged-c listing of the program's own functions (bpf_func.object
 * 0) and its entries: the prelude is left out and the library functions are
 * named in a comment. It does not compile on its own. */
int lift_program_own(struct arena *a, const struct bpf_program *prog, struct strbuf *out, struct diag *d);

#ifdef ZS_LIFT_MEASURE
#include <stdbool.h>
/* Measurement builds only (a macro the cage benchmark and its test define;
 * zsc is never built with it): lift_program with the pointer cage (no_cage:
 * guest addresses are used as host pointers) or the poll budget (no_poll)
 * left out. The code carries ZS_UNCAGED_MARKER (abi/cage.h), so the blob
 * writer refuses the image and zsrt refuses any blob holding it. */
struct lift_measure {
  bool no_cage;
  bool no_poll;
};
int lift_program_measure(struct arena *a, const struct bpf_program *prog, const struct lift_measure *m,
                         struct strbuf *out, struct diag *d);
#endif

/* The exported symbol of an entry function, as lift_program names it. */
const char *lift_entry_symbol(struct arena *a, const struct bpf_func *fn);

#endif
