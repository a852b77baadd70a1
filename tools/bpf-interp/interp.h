/* The reference eBPF interpreter: a plain switch over opcodes on a flat
 * memory model that mirrors the cage (only the mapped regions are valid).
 * Written independently of the lifter so the two can check each other. */
#ifndef ZS_BPF_INTERP_H
#define ZS_BPF_INTERP_H

#include <stdint.h>

#include "compiler/bpf/program.h"

#define INTERP_MAX_REGIONS 8

/* trap codes: abi/helpers.h's zs_trap_code, plus one for code the lifter
 * refuses (the differential tests never produce it) */
enum interp_trap {
  INTERP_OK = 0,
  INTERP_TRAP_FAULT = 1,
  INTERP_TRAP_BUDGET = 2,
  INTERP_TRAP_DEPTH = 3,
  INTERP_TRAP_HELPER = 4,
  INTERP_TRAP_INVALID = 16,
};

struct interp_region {
  uint32_t start, size;        /* guest offsets in the 4 GiB window */
  uint8_t *mem;                /* host bytes backing it */
  int writable;
};

struct interp;
/* a helper: args are r1..r5; may set vm->trap to stop the program */
typedef uint64_t (*interp_helper_fn)(struct interp *vm, uint32_t id, const uint64_t args[5]);

struct interp {
  const struct bpf_program *prog;
  struct interp_region regions[INTERP_MAX_REGIONS];
  unsigned region_count;
  interp_helper_fn helper;
  unsigned helper_count;       /* ids >= this trap with INTERP_TRAP_HELPER */
  void *user;                  /* for the helper */
  long long budget;            /* polls left: function entry and backward-jump targets */
  unsigned depth;              /* frames live; the entry is 1 */
  unsigned trap;               /* enum interp_trap */
  uint32_t trap_pc;
  uint8_t *back_target;        /* per instruction, filled by interp_run */
};

/* guest memory access, for helpers too: 0, or -1 when outside every region
 * (or, for writes, outside the writable ones) */
int interp_read(struct interp *vm, uint64_t addr, void *dst, unsigned len);
int interp_write(struct interp *vm, uint64_t addr, const void *src, unsigned len);

/* Runs the function starting at instruction `start` with r1 and r10 set.
 * Returns the trap code (0: returned normally, *r0 set). back_target must
 * point at prog->insn_count bytes the interpreter may use. */
unsigned interp_run(struct interp *vm, uint32_t start, uint64_t r1, uint64_t r10, uint64_t *r0);

#endif
