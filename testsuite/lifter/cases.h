/* Test cases for the lifter: small eBPF programs (one entry function plus
 * optional callees), optionally with the result they must produce, all
 * linked into one bpf_program so each backend compiles them in one go. */
#ifndef ZS_TEST_LIFTER_CASES_H
#define ZS_TEST_LIFTER_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "compiler/bpf/program.h"
#include "run.h"

#define CASE_MAX_FUNCS 4
#define CASE_NO_EXPECT 0xffffffffu

struct test_case {
  const char *name;
  const struct bpf_insn *insns;
  size_t insn_count;
  uint32_t func_start[CASE_MAX_FUNCS];   /* relative; function 0 (at 0) is the entry */
  uint32_t func_stack[CASE_MAX_FUNCS];   /* 0: the lifter's default frame */
  size_t func_count;
  unsigned expect_trap;                  /* CASE_NO_EXPECT: only compared with the interpreter */
  uint64_t expect_r0;
};

struct case_set {
  struct test_case *cases;
  size_t count, cap;
};

/* appends a case whose instructions are copied into the arena */
struct test_case *case_add(struct arena *a, struct case_set *set, const char *name,
                           const struct bpf_insn *insns, size_t n);

/* one program: every case's functions in order, entries named c<index> */
void case_link(struct arena *a, const struct case_set *set, struct bpf_program *prog,
               uint32_t *entry_start);

/* runs case i of prog in the reference interpreter */
void case_interpret(const struct bpf_program *prog, uint32_t start, struct run_result *out);

struct native_image;

/* Runs each entry of prog that img holds in the interpreter and natively in
 * env, and calls check(ctx, fn, interpreter, native) for it; returns the sum
 * of what check returned (its failures), and the entries run in *entries. */
typedef int (*case_check_fn)(void *ctx, const struct bpf_func *fn, const struct run_result *ref,
                             const struct run_result *got);
int case_run_entries(struct arena *a, const struct bpf_program *prog, const struct native_image *img,
                     struct run_env *env, case_check_fn check, void *ctx, int *entries);

/* the hand-written vectors (vectors.c, traps.c) and the random programs (random.c) */
void vectors_add_all(struct arena *a, struct case_set *set);
void traps_add_all(struct arena *a, struct case_set *set);
void random_add_all(struct arena *a, struct case_set *set, uint64_t seed, unsigned count);

#endif
