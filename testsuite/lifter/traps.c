/* Cage vectors: programs that must trap, each with the trap code it must
 * produce: accesses outside the mapped regions or writes to read-only ones,
 * a runaway loop, unbounded recursion, an unknown helper. They run in the
 * same harness, one after the other, so each also checks that the cage is
 * usable again after a trap. */
#include "asm.h"
#include "cases.h"

#include "abi/helpers.h"

#define TRAP(name, code, ...)                                                     \
  do {                                                                            \
    const struct bpf_insn p_[] = {__VA_ARGS__};                                   \
    struct test_case *c_ = case_add(a, set, name, p_, sizeof p_ / sizeof *p_);    \
    c_->expect_trap = (code);                                                     \
  } while (0)

static void traps_memory(struct arena *a, struct case_set *set)
{
  TRAP("load from unmapped 0x40000000", ZS_TRAP_FAULT, LD_IMM64(1, 0x40000000), LDX(A_DW, 0, 1, 0), EXIT());
  TRAP("load from address 0", ZS_TRAP_FAULT, MOV64_IMM(1, 0), LDX(A_B, 0, 1, 0), EXIT());
  TRAP("store to rodata", ZS_TRAP_FAULT, LD_IMM64(1, 0x00100000), ST(A_B, 1, 0, 1), MOV64_IMM(0, 0), EXIT());
  TRAP("store to the request view", ZS_TRAP_FAULT, ST(A_W, 1, 0, 7), MOV64_IMM(0, 0), EXIT());
  TRAP("atomic on the request view", ZS_TRAP_FAULT, MOV64_IMM(2, 1), ATOMIC(A_DW, 1, 2, 0, 0x00), EXIT());
  TRAP("below the stack", ZS_TRAP_FAULT, MOV64_REG(1, 10), ALU64_IMM(OP_SUB, 1, 0x10000), ST(A_DW, 1, -8, 1), EXIT());
  TRAP("above the stack", ZS_TRAP_FAULT, ST(A_DW, 10, 0, 1), EXIT());
  TRAP("past the heap", ZS_TRAP_FAULT, LD_IMM64(1, 0x30100000), LDX(A_B, 0, 1, 0), EXIT());
  TRAP("straddles 4 GiB", ZS_TRAP_FAULT, LD_IMM64(1, 0xfffffffcull), LDX(A_DW, 0, 1, 0), EXIT());
  TRAP("wrapped pointer into nowhere", ZS_TRAP_FAULT, LD_IMM64(1, 0x2000000040000000ull), LDX(A_B, 0, 1, 0), EXIT());
  /* offsets are added after the cut (lift_put_mem_ref): past 4 GiB that lands
   * in the trailing guard where the exact rule wraps below 32 KiB; both fault */
  TRAP("offset past 4 GiB", ZS_TRAP_FAULT, LD_IMM64(1, 0xfffffff0ull), LDX(A_DW, 0, 1, 0x7ff0), EXIT());
  TRAP("offset past 4 GiB, high bits set", ZS_TRAP_FAULT, LD_IMM64(1, 0x1fffffff8ull), ST(A_W, 1, 0x10, 1),
       MOV64_IMM(0, 0), EXIT());
  TRAP("negative offset below 0", ZS_TRAP_FAULT, MOV64_IMM(1, 0x7ff0), LDX(A_DW, 0, 1, -0x10), EXIT());
  TRAP("negative offset below 0, store", ZS_TRAP_FAULT, MOV64_IMM(1, 0x10), ST(A_B, 1, -0x8000, 1), EXIT());
  TRAP("atomic offset past 4 GiB", ZS_TRAP_FAULT, LD_IMM64(1, 0xffffff00ull), MOV64_IMM(2, 1),
       ATOMIC(A_DW, 1, 2, 0x100, 0x00), EXIT());
}

static void traps_control(struct arena *a, struct case_set *set)
{
  TRAP("endless loop", ZS_TRAP_BUDGET, MOV64_IMM(0, 0), ALU64_IMM(OP_ADD, 0, 1), JA(-2), EXIT());
  TRAP("self jump", ZS_TRAP_BUDGET, JA(-1), EXIT());
  TRAP("unknown helper 99", ZS_TRAP_HELPER, CALL_HELPER(99), EXIT());
  TRAP("helper -1", ZS_TRAP_HELPER, CALL_HELPER(-1), EXIT());
  /* recursion the verifier would refuse: the depth check stops it */
  const struct bpf_insn deep[] = {MOV64_IMM(1, 7), CALL_LOCAL(1), EXIT(),
                                  JMP_IMM(OP_JNE, 1, 0, 2), MOV64_IMM(0, 0), EXIT(), MOV64_REG(6, 1),
                                  ALU64_IMM(OP_SUB, 1, 1), CALL_LOCAL(-6), ALU64_REG(OP_ADD, 0, 6), EXIT()};
  struct test_case *c = case_add(a, set, "recursion 7 deep", deep, sizeof deep / sizeof *deep);
  c->func_start[1] = 3;
  c->func_count = 2;
  c->expect_trap = ZS_TRAP_DEPTH;
  const struct bpf_insn forever[] = {CALL_LOCAL(1), EXIT(), CALL_LOCAL(-1), EXIT()};
  c = case_add(a, set, "unbounded recursion", forever, sizeof forever / sizeof *forever);
  c->func_start[1] = 2;
  c->func_count = 2;
  c->expect_trap = ZS_TRAP_DEPTH;
  /* a loop within the budget finishes; it must not be counted as a trap */
  const struct bpf_insn bounded[] = {MOV64_IMM(0, 0), MOV64_IMM(1, 5000), ALU64_IMM(OP_ADD, 0, 2),
                                     ALU64_IMM(OP_SUB, 1, 1), JMP_IMM(OP_JNE, 1, 0, -3), EXIT()};
  c = case_add(a, set, "loop of 5000 within budget", bounded, sizeof bounded / sizeof *bounded);
  c->expect_trap = 0;
  c->expect_r0 = 10000;
}

void traps_add_all(struct arena *a, struct case_set *set)
{
  traps_memory(a, set);
  traps_control(a, set);
}
