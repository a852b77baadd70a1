/* Hand-written vectors for control flow: every jump condition (unsigned and
 * signed, 64 and 32 bit, immediate and register, taken and not), ja/gotol,
 * loops, eBPF-to-eBPF calls with frames and recursion, and helper calls. */
#include "asm.h"
#include "cases.h"

#include <stdio.h>

struct jump_row {
  uint8_t op;
  uint64_t d;
  int32_t s;                   /* an immediate, or r2 = its 64-bit sign extension */
  int taken64, taken32;
};

static const struct jump_row jump_rows[] = {
  {OP_JEQ, 5, 5, 1, 1}, {OP_JEQ, 0x100000005ull, 5, 0, 1}, {OP_JEQ, 5, 6, 0, 0},
  {OP_JNE, 5, 5, 0, 0}, {OP_JNE, 0x100000005ull, 5, 1, 0},
  {OP_JGT, 5, -1, 0, 0}, {OP_JGT, ~0ull, 5, 1, 1}, {OP_JGT, 0x100000000ull, 1, 1, 0},
  {OP_JGE, 5, 5, 1, 1}, {OP_JGE, 4, 5, 0, 0}, {OP_JGE, 0x100000004ull, 5, 1, 0},
  {OP_JLT, 4, 5, 1, 1}, {OP_JLT, 5, 5, 0, 0}, {OP_JLT, 0x100000004ull, 5, 0, 1},
  {OP_JLE, 5, 5, 1, 1}, {OP_JLE, 6, 5, 0, 0}, {OP_JLE, 0xffffffff00000005ull, 6, 0, 1},
  {OP_JSGT, 5, -1, 1, 1}, {OP_JSGT, ~0ull, 5, 0, 0}, {OP_JSGT, 0x80000000ull, 0, 1, 0},
  {OP_JSGE, ~0ull, -1, 1, 1}, {OP_JSGE, ~1ull, -1, 0, 0}, {OP_JSGE, 0xffffffffull, 0, 1, 0},
  {OP_JSLT, ~1ull, -1, 1, 1}, {OP_JSLT, 0x80000000ull, 0, 0, 1}, {OP_JSLT, 5, 5, 0, 0},
  {OP_JSLE, ~0ull, -1, 1, 1}, {OP_JSLE, 0, -1, 0, 0}, {OP_JSLE, 0x100000000ull, 0, 0, 1},
  {OP_JSET, 6, 2, 1, 1}, {OP_JSET, 6, 1, 0, 0}, {OP_JSET, 0x100000000ull, -1, 1, 0},
};

static void jump_case(struct arena *a, struct case_set *set, const struct jump_row *row, int form)
{
  struct bpf_insn j;
  switch (form) {
  case 0: j = JMP_IMM(row->op, 1, row->s, 1); break;
  case 1: j = JMP_REG(row->op, 1, 2, 1); break;
  case 2: j = JMP32_IMM(row->op, 1, row->s, 1); break;
  default: j = JMP32_REG(row->op, 1, 2, 1); break;
  }
  const struct bpf_insn p[] = {LD_IMM64(1, row->d), LD_IMM64(2, (uint64_t)(int64_t)row->s), MOV64_IMM(0, 1), j,
                               MOV64_IMM(0, 0), EXIT()};
  static const char *const forms[] = {"imm", "reg", "imm32", "reg32"};
  char name[96];
  snprintf(name, sizeof name, "jump op %#x %s d=%#llx s=%d", row->op, forms[form],
           (unsigned long long)row->d, row->s);
  struct test_case *c = case_add(a, set, name, p, sizeof p / sizeof *p);
  c->expect_trap = 0;
  c->expect_r0 = (uint64_t)(form < 2 ? row->taken64 : row->taken32);
}

static void flow_jumps(struct arena *a, struct case_set *set)
{
  for (size_t i = 0; i < sizeof jump_rows / sizeof *jump_rows; i++)
    for (int form = 0; form < 4; form++)
      jump_case(a, set, &jump_rows[i], form);
}

/* a vector of one or more functions: starts[] and stacks[] as in test_case */
static void flow_case(struct arena *a, struct case_set *set, const char *name, const struct bpf_insn *p,
                      size_t n, const uint32_t *starts, const uint32_t *stacks, size_t funcs, uint64_t r0)
{
  struct test_case *c = case_add(a, set, name, p, n);
  for (size_t i = 0; i < funcs; i++) {
    c->func_start[i] = starts[i];
    c->func_stack[i] = stacks[i];
  }
  c->func_count = funcs;
  c->expect_trap = 0;
  c->expect_r0 = r0;
}

#define FLOW(name, r0, starts, stacks, ...)                                              \
  do {                                                                                   \
    const struct bpf_insn p_[] = {__VA_ARGS__};                                          \
    const uint32_t s_[] = starts, k_[] = stacks;                                         \
    flow_case(a, set, name, p_, sizeof p_ / sizeof *p_, s_, k_, sizeof s_ / sizeof *s_, r0); \
  } while (0)
#define L(...) {__VA_ARGS__}
#define SNAP_EXIT() MOV64_REG(6, 0), CALL_HELPER(1), MOV64_REG(0, 6), EXIT()

static void flow_loops(struct arena *a, struct case_set *set)
{
  FLOW("ja", 1, L(0), L(0), MOV64_IMM(0, 1), JA(1), MOV64_IMM(0, 2), EXIT());
  FLOW("gotol", 1, L(0), L(0), MOV64_IMM(0, 1), GOTOL(1), MOV64_IMM(0, 2), EXIT());
  FLOW("ja over ld_imm64", 1, L(0), L(0), MOV64_IMM(0, 1), JA(2), LD_IMM64(0, 5), EXIT());
  FLOW("loop sum", 55, L(0), L(0), MOV64_IMM(0, 0), MOV64_IMM(1, 10), ALU64_REG(OP_ADD, 0, 1),
       ALU64_IMM(OP_SUB, 1, 1), JMP_IMM(OP_JNE, 1, 0, -3), EXIT());
  FLOW("loop jmp32", 5, L(0), L(0), MOV64_IMM(0, 0), LD_IMM64(1, 0x100000005ull), ALU64_IMM(OP_ADD, 0, 1),
       ALU64_IMM(OP_SUB, 1, 1), JMP32_IMM(OP_JNE, 1, 0, -3), EXIT());
  FLOW("nested loops", 12, L(0), L(0), MOV64_IMM(0, 0), MOV64_IMM(1, 4), MOV64_IMM(2, 3), ALU64_IMM(OP_ADD, 0, 1),
       ALU64_IMM(OP_SUB, 2, 1), JMP_IMM(OP_JNE, 2, 0, -3), ALU64_IMM(OP_SUB, 1, 1), JMP_IMM(OP_JNE, 1, 0, -6), EXIT());
  FLOW("gotol backward loop", 3, L(0), L(0), MOV64_IMM(0, 0), ALU64_IMM(OP_ADD, 0, 1), JMP_IMM(OP_JEQ, 0, 3, 1),
       GOTOL(-3), EXIT());
}

static void flow_calls(struct arena *a, struct case_set *set)
{
  FLOW("call local", 41, L(0, 4), L(0, 0), MOV64_IMM(1, 20), CALL_LOCAL(2), ALU64_IMM(OP_ADD, 0, 1), EXIT(),
       MOV64_REG(0, 1), ALU64_IMM(OP_MUL, 0, 2), EXIT());
  FLOW("call args r1-r5", 55, L(0, 7), L(0, 0), MOV64_IMM(1, 1), MOV64_IMM(2, 2), MOV64_IMM(3, 3), MOV64_IMM(4, 4),
       MOV64_IMM(5, 5), CALL_LOCAL(1), EXIT(),
       MOV64_REG(0, 1), ALU64_IMM(OP_MUL, 2, 2), ALU64_REG(OP_ADD, 0, 2), ALU64_IMM(OP_MUL, 3, 3),
       ALU64_REG(OP_ADD, 0, 3), ALU64_IMM(OP_MUL, 4, 4), ALU64_REG(OP_ADD, 0, 4), ALU64_IMM(OP_MUL, 5, 5),
       ALU64_REG(OP_ADD, 0, 5), EXIT());
  FLOW("callee-saved r6", 7, L(0, 4), L(0, 0), MOV64_IMM(6, 7), CALL_LOCAL(2), MOV64_REG(0, 6), EXIT(),
       MOV64_IMM(6, 100), MOV64_IMM(0, 0), EXIT());
#define FRAMES(name, stack)                                                                          \
  FLOW(name, 0x3333, L(0, 8), L(stack, 0), ST(A_DW, 10, -8, 0x1111), CALL_LOCAL(6), LDX(A_DW, 1, 10, -8), \
       ALU64_REG(OP_ADD, 0, 1), SNAP_EXIT(), ST(A_DW, 10, -8, 0x2222), LDX(A_DW, 0, 10, -8), EXIT())
  FRAMES("frames stack 8", 8);
  FRAMES("frames stack 20 rounds to 24", 20);
  FRAMES("frames default 512", 0);
#undef FRAMES
  FLOW("callee reads caller frame", 99, L(0, 5), L(16, 0), ST(A_DW, 10, -8, 99), MOV64_REG(1, 10),
       ALU64_IMM(OP_ADD, 1, -8), CALL_LOCAL(1), EXIT(), LDX(A_DW, 0, 1, 0), EXIT());
  FLOW("recursion 6 deep", 21, L(0, 3), L(0, 8), MOV64_IMM(1, 6), CALL_LOCAL(1), EXIT(),
       JMP_IMM(OP_JNE, 1, 0, 2), MOV64_IMM(0, 0), EXIT(), MOV64_REG(6, 1), ALU64_IMM(OP_SUB, 1, 1),
       CALL_LOCAL(-6), ALU64_REG(OP_ADD, 0, 6), EXIT());
  FLOW("helper mix", 47, L(0), L(0), MOV64_IMM(1, 1), MOV64_IMM(2, 2), MOV64_IMM(3, 3), MOV64_IMM(4, 4),
       MOV64_IMM(5, 5), CALL_HELPER(0), EXIT());
  FLOW("helper peek request", 0x6c655e575049423bull, L(0), L(0), LD_IMM64(1, 0x10000008), CALL_HELPER(2), EXIT());
  FLOW("helper peek unmapped", (uint64_t)-14, L(0), L(0), LD_IMM64(1, 0x40000000), CALL_HELPER(2), EXIT());
  FLOW("helper keeps r6-r9", 6 + 7 + 8 + 9, L(0), L(0), MOV64_IMM(6, 6), MOV64_IMM(7, 7), MOV64_IMM(8, 8),
       MOV64_IMM(9, 9), CALL_HELPER(0), MOV64_REG(0, 6), ALU64_REG(OP_ADD, 0, 7), ALU64_REG(OP_ADD, 0, 8),
       ALU64_REG(OP_ADD, 0, 9), EXIT());
}

void vectors_jumps_add(struct arena *a, struct case_set *set);
void vectors_calls_add(struct arena *a, struct case_set *set);

void vectors_jumps_add(struct arena *a, struct case_set *set)
{
  flow_jumps(a, set);
  flow_loops(a, set);
}

void vectors_calls_add(struct arena *a, struct case_set *set)
{
  flow_calls(a, set);
}
