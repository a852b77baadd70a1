/* Hand-written vectors for every eBPF opcode family, each with the result
 * worked out by hand from the ISA text (not computed by test code), in the
 * manner of the Linux BPF JIT tests: ALU32/64 edge values, division and
 * shifts at their limits, byte swaps, sign extension, memory, atomics. */
#include <stdio.h>

#include "asm.h"
#include "cases.h"

#define R0 0
#define R1 1
#define R2 2
#define R3 3
#define R10 10

/* a vector: instructions, then the r0 it must return */
#define VEC(name, r0, ...)                                                        \
  do {                                                                            \
    const struct bpf_insn p_[] = {__VA_ARGS__};                                   \
    struct test_case *c_ = case_add(a, set, name, p_, sizeof p_ / sizeof *p_);    \
    c_->expect_trap = 0;                                                          \
    c_->expect_r0 = (r0);                                                         \
  } while (0)

/* record stack and heap for the cross-backend comparison, keep r0 */
#define SNAP_EXIT() MOV64_REG(6, 0), CALL_HELPER(1), MOV64_REG(0, 6), EXIT()

/* r0 = d; r1 = s; r0 op= r1 (or the immediate form); exit */
static void alu_reg(struct arena *a, struct case_set *set, const char *name, struct bpf_insn op,
                    uint64_t d, uint64_t s, uint64_t expect)
{
  op.dst = R0;
  op.src = R1;
  VEC(name, expect, LD_IMM64(R0, d), LD_IMM64(R1, s), op, EXIT());
}

static void alu_imm(struct arena *a, struct case_set *set, const char *name, struct bpf_insn op,
                    uint64_t d, int32_t imm, uint64_t expect)
{
  op.dst = R0;
  op.imm = imm;
  VEC(name, expect, LD_IMM64(R0, d), op, EXIT());
}

#define M64 0xffffffffffffffffull
#define MIN64 0x8000000000000000ull

static void vectors_alu64(struct arena *a, struct case_set *set)
{
  alu_reg(a, set, "add64 wrap", ALU64_REG(OP_ADD, 0, 0), M64, 1, 0);
  alu_reg(a, set, "add64 overflow", ALU64_REG(OP_ADD, 0, 0), 0x7fffffffffffffffull, 1, MIN64);
  alu_imm(a, set, "add64 imm -1", ALU64_IMM(OP_ADD, 0, 0), 5, -1, 4);
  alu_reg(a, set, "sub64 borrow", ALU64_REG(OP_SUB, 0, 0), 0, 1, M64);
  alu_imm(a, set, "sub64 imm", ALU64_IMM(OP_SUB, 0, 0), 0x100000000ull, 1, 0xffffffffull);
  alu_reg(a, set, "mul64 wrap", ALU64_REG(OP_MUL, 0, 0), 0x100000000ull, 0x100000000ull, 0);
  alu_reg(a, set, "mul64 32x32", ALU64_REG(OP_MUL, 0, 0), 0xffffffffull, 0xffffffffull, 0xfffffffe00000001ull);
  alu_imm(a, set, "mul64 imm -2", ALU64_IMM(OP_MUL, 0, 0), 3, -2, 0xfffffffffffffffaull);
  alu_reg(a, set, "div64", ALU64_REG(OP_DIV, 0, 0), 100, 7, 14);
  alu_reg(a, set, "div64 big", ALU64_REG(OP_DIV, 0, 0), M64, 2, 0x7fffffffffffffffull);
  alu_reg(a, set, "div64 by zero", ALU64_REG(OP_DIV, 0, 0), 1234, 0, 0);
  alu_imm(a, set, "div64 imm zero", ALU64_IMM(OP_DIV, 0, 0), 1234, 0, 0);
  alu_imm(a, set, "div64 imm -1 unsigned", ALU64_IMM(OP_DIV, 0, 0), M64, -1, 1);
  alu_reg(a, set, "mod64", ALU64_REG(OP_MOD, 0, 0), 100, 7, 2);
  alu_reg(a, set, "mod64 by zero", ALU64_REG(OP_MOD, 0, 0), 1234, 0, 1234);
  alu_imm(a, set, "mod64 imm zero", ALU64_IMM(OP_MOD, 0, 0), 1234, 0, 1234);
  alu_reg(a, set, "sdiv64", SALU64_REG(OP_DIV, 0, 0), (uint64_t)-100, 7, (uint64_t)-14);
  alu_reg(a, set, "sdiv64 min/-1", SALU64_REG(OP_DIV, 0, 0), MIN64, M64, MIN64);
  alu_imm(a, set, "sdiv64 imm min/-1", SALU64_IMM(OP_DIV, 0, 0), MIN64, -1, MIN64);
  alu_reg(a, set, "sdiv64 by zero", SALU64_REG(OP_DIV, 0, 0), (uint64_t)-5, 0, 0);
  alu_imm(a, set, "sdiv64 imm neg", SALU64_IMM(OP_DIV, 0, 0), 100, -7, (uint64_t)-14);
  alu_reg(a, set, "smod64", SALU64_REG(OP_MOD, 0, 0), (uint64_t)-100, 7, (uint64_t)-2);
  alu_reg(a, set, "smod64 neg divisor", SALU64_REG(OP_MOD, 0, 0), 100, (uint64_t)-7, 2);
  alu_reg(a, set, "smod64 min/-1", SALU64_REG(OP_MOD, 0, 0), MIN64, M64, 0);
  alu_reg(a, set, "smod64 by zero", SALU64_REG(OP_MOD, 0, 0), (uint64_t)-5, 0, (uint64_t)-5);
  alu_imm(a, set, "smod64 imm", SALU64_IMM(OP_MOD, 0, 0), (uint64_t)-100, -7, (uint64_t)-2);
  alu_reg(a, set, "or64", ALU64_REG(OP_OR, 0, 0), 0xf0f0000000000000ull, 0x0f, 0xf0f000000000000full);
  alu_imm(a, set, "or64 imm sext", ALU64_IMM(OP_OR, 0, 0), 0, (int32_t)0x80000000, 0xffffffff80000000ull);
  alu_reg(a, set, "and64", ALU64_REG(OP_AND, 0, 0), 0xff00ff00ff00ff00ull, 0x0ff00ff00ff00ff0ull, 0x0f000f000f000f00ull);
  alu_imm(a, set, "and64 imm", ALU64_IMM(OP_AND, 0, 0), 0x123456789ull, 0xff, 0x89);
  alu_reg(a, set, "xor64", ALU64_REG(OP_XOR, 0, 0), M64, 0x5555555555555555ull, 0xaaaaaaaaaaaaaaaaull);
  alu_reg(a, set, "lsh64 63", ALU64_REG(OP_LSH, 0, 0), 1, 63, MIN64);
  alu_reg(a, set, "lsh64 64 masked", ALU64_REG(OP_LSH, 0, 0), 1, 64, 1);
  alu_reg(a, set, "lsh64 65 masked", ALU64_REG(OP_LSH, 0, 0), 1, 65, 2);
  alu_imm(a, set, "lsh64 imm 32", ALU64_IMM(OP_LSH, 0, 0), 0xabcd, 32, 0xabcd00000000ull);
  alu_reg(a, set, "rsh64 63", ALU64_REG(OP_RSH, 0, 0), MIN64, 63, 1);
  alu_reg(a, set, "rsh64 64 masked", ALU64_REG(OP_RSH, 0, 0), MIN64, 64, MIN64);
  alu_imm(a, set, "rsh64 imm", ALU64_IMM(OP_RSH, 0, 0), M64, 60, 0xf);
  alu_reg(a, set, "arsh64 63", ALU64_REG(OP_ARSH, 0, 0), MIN64, 63, M64);
  alu_reg(a, set, "arsh64 64 masked", ALU64_REG(OP_ARSH, 0, 0), MIN64, 64, MIN64);
  alu_imm(a, set, "arsh64 imm 4", ALU64_IMM(OP_ARSH, 0, 0), 0xf000000000000000ull, 4, 0xff00000000000000ull);
  alu_imm(a, set, "arsh64 positive", ALU64_IMM(OP_ARSH, 0, 0), 0x7000000000000000ull, 4, 0x0700000000000000ull);
  alu_imm(a, set, "neg64", NEG64(0), 1, 0, M64);
  alu_imm(a, set, "neg64 min", NEG64(0), MIN64, 0, MIN64);
  alu_imm(a, set, "mov64 imm -1", MOV64_IMM(0, 0), 0x1234, -1, M64);
  alu_reg(a, set, "mov64 reg", MOV64_REG(0, 0), 0, 0x123456789abcdefull, 0x123456789abcdefull);
  alu_reg(a, set, "movsx64 8", MOVSX64(0, 0, 8), 0, 0x80, 0xffffffffffffff80ull);
  alu_reg(a, set, "movsx64 8 positive", MOVSX64(0, 0, 8), 0, 0x123456789abcd7full, 0x7f);
  alu_reg(a, set, "movsx64 16", MOVSX64(0, 0, 16), 0, 0x8000, 0xffffffffffff8000ull);
  alu_reg(a, set, "movsx64 32", MOVSX64(0, 0, 32), 0, 0x80000000ull, 0xffffffff80000000ull);
  alu_reg(a, set, "movsx64 32 positive", MOVSX64(0, 0, 32), 0, 0xffffffff7fffffffull, 0x7fffffff);
}

#define HI 0xdeadbeef00000000ull    /* garbage the 32-bit ops must drop */

static void vectors_alu32(struct arena *a, struct case_set *set)
{
  alu_reg(a, set, "add32 wrap", ALU32_REG(OP_ADD, 0, 0), HI | 1, 0xffffffff, 0);
  alu_imm(a, set, "add32 imm", ALU32_IMM(OP_ADD, 0, 0), 0x100000005ull, 3, 8);
  alu_reg(a, set, "sub32 borrow", ALU32_REG(OP_SUB, 0, 0), HI, 1, 0xffffffff);
  alu_reg(a, set, "mul32 wrap", ALU32_REG(OP_MUL, 0, 0), 0x10000, 0x10000, 0);
  alu_reg(a, set, "mul32 -1*-1", ALU32_REG(OP_MUL, 0, 0), 0xffffffff, HI | 0xffffffff, 1);
  alu_reg(a, set, "div32", ALU32_REG(OP_DIV, 0, 0), HI | 0xffffffff, 2, 0x7fffffff);
  alu_reg(a, set, "div32 drops high", ALU32_REG(OP_DIV, 0, 0), 0x100000010ull, 2, 8);
  alu_reg(a, set, "div32 by zero", ALU32_REG(OP_DIV, 0, 0), 77, 0x100000000ull, 0);
  alu_imm(a, set, "div32 imm -1", ALU32_IMM(OP_DIV, 0, 0), 0xffffffff, -1, 1);
  alu_reg(a, set, "mod32", ALU32_REG(OP_MOD, 0, 0), HI | 100, 7, 2);
  alu_reg(a, set, "mod32 by zero", ALU32_REG(OP_MOD, 0, 0), HI | 7, 0, 7);
  alu_imm(a, set, "mod32 imm zero", ALU32_IMM(OP_MOD, 0, 0), HI | 9, 0, 9);
  alu_reg(a, set, "sdiv32 min/-1", SALU32_REG(OP_DIV, 0, 0), 0x80000000, 0xffffffff, 0x80000000);
  alu_imm(a, set, "sdiv32 imm min/-1", SALU32_IMM(OP_DIV, 0, 0), HI | 0x80000000, -1, 0x80000000);
  alu_reg(a, set, "sdiv32 neg", SALU32_REG(OP_DIV, 0, 0), 0xfffffffffffffff9ull, 2, 0xfffffffd);
  alu_reg(a, set, "sdiv32 by zero", SALU32_REG(OP_DIV, 0, 0), HI | 5, 0, 0);
  alu_reg(a, set, "smod32 neg", SALU32_REG(OP_MOD, 0, 0), 0xfffffff9, 2, 0xffffffff);
  alu_reg(a, set, "smod32 min/-1", SALU32_REG(OP_MOD, 0, 0), 0x80000000, 0xffffffff, 0);
  alu_reg(a, set, "smod32 by zero", SALU32_REG(OP_MOD, 0, 0), HI | 0xfffffffb, 0, 0xfffffffb);
  alu_imm(a, set, "smod32 imm", SALU32_IMM(OP_MOD, 0, 0), 100, -7, 2);
  alu_reg(a, set, "or32", ALU32_REG(OP_OR, 0, 0), 0xff00000000000001ull, 2, 3);
  alu_reg(a, set, "and32", ALU32_REG(OP_AND, 0, 0), M64, 0xff00ff00ff00ff00ull, 0xff00ff00);
  alu_imm(a, set, "xor32 imm", ALU32_IMM(OP_XOR, 0, 0), HI | 0xffff0000, -1, 0x0000ffff);
  alu_reg(a, set, "lsh32 31", ALU32_REG(OP_LSH, 0, 0), 1, 31, 0x80000000);
  alu_reg(a, set, "lsh32 32 masked", ALU32_REG(OP_LSH, 0, 0), 1, 32, 1);
  alu_reg(a, set, "lsh32 33 masked", ALU32_REG(OP_LSH, 0, 0), 1, 33, 2);
  alu_imm(a, set, "lsh32 drops carry", ALU32_IMM(OP_LSH, 0, 0), 0xc0000001, 2, 4);
  alu_reg(a, set, "rsh32 no high bits", ALU32_REG(OP_RSH, 0, 0), 0xffffffff80000000ull, 31, 1);
  alu_imm(a, set, "rsh32 imm", ALU32_IMM(OP_RSH, 0, 0), M64, 28, 0xf);
  alu_reg(a, set, "arsh32 31", ALU32_REG(OP_ARSH, 0, 0), 0x80000000, 31, 0xffffffff);
  alu_reg(a, set, "arsh32 32 masked", ALU32_REG(OP_ARSH, 0, 0), 0x80000000, 32, 0x80000000);
  alu_imm(a, set, "arsh32 imm", ALU32_IMM(OP_ARSH, 0, 0), 0x180000000ull, 4, 0xf8000000);
  alu_imm(a, set, "neg32", NEG32(0), 1, 0, 0xffffffff);
  alu_imm(a, set, "neg32 high", NEG32(0), 0x100000000ull, 0, 0);
  alu_imm(a, set, "mov32 imm -1", MOV32_IMM(0, 0), M64, -1, 0xffffffff);
  alu_reg(a, set, "mov32 reg", MOV32_REG(0, 0), 0, M64, 0xffffffff);
  alu_reg(a, set, "movsx32 8", MOVSX32(0, 0, 8), M64, 0x80, 0xffffff80);
  alu_reg(a, set, "movsx32 16", MOVSX32(0, 0, 16), 0, HI | 0x8000, 0xffff8000);
  alu_reg(a, set, "movsx32 16 positive", MOVSX32(0, 0, 16), 0, 0x17fff, 0x7fff);
}

static void vectors_end(struct arena *a, struct case_set *set)
{
  const uint64_t v = 0x1122334455667788ull;
  alu_imm(a, set, "le16", TO_LE(0, 16), v, 16, 0x7788);
  alu_imm(a, set, "le32", TO_LE(0, 32), v, 32, 0x55667788);
  alu_imm(a, set, "le64", TO_LE(0, 64), v, 64, v);
  alu_imm(a, set, "be16", TO_BE(0, 16), v, 16, 0x8877);
  alu_imm(a, set, "be32", TO_BE(0, 32), v, 32, 0x88776655);
  alu_imm(a, set, "be64", TO_BE(0, 64), v, 64, 0x8877665544332211ull);
  alu_imm(a, set, "bswap16", BSWAP(0, 16), v, 16, 0x8877);
  alu_imm(a, set, "bswap32", BSWAP(0, 32), v, 32, 0x88776655);
  alu_imm(a, set, "bswap64", BSWAP(0, 64), v, 64, 0x8877665544332211ull);
  VEC("ld_imm64", 0x123456789abcdef0ull, LD_IMM64(R0, 0x123456789abcdef0ull), EXIT());
  VEC("ld_imm64 r9", 0xfedcba9876543210ull, LD_IMM64(9, 0xfedcba9876543210ull), MOV64_REG(0, 9), EXIT());
}

static void vectors_memory(struct arena *a, struct case_set *set)
{
  VEC("stx ldx dw", 0x0102030405060708ull, LD_IMM64(R1, 0x0102030405060708ull),
      STX(A_DW, R10, R1, -8), LDX(A_DW, R0, R10, -8), SNAP_EXIT());
  VEC("stx w ldx b", 0x44, MOV64_IMM(R1, 0x11223344), STX(A_W, R10, R1, -8), LDX(A_B, R0, R10, -8), SNAP_EXIT());
  VEC("stx w ldx b high", 0x11, MOV64_IMM(R1, 0x11223344), STX(A_W, R10, R1, -8), LDX(A_B, R0, R10, -5), SNAP_EXIT());
  VEC("stx h ldx h", 0xbeef, LD_IMM64(R1, 0x12345678deadbeefull), STX(A_H, R10, R1, -2), LDX(A_H, R0, R10, -2), SNAP_EXIT());
  VEC("st dw imm sext", M64, ST(A_DW, R10, -16, -1), LDX(A_DW, R0, R10, -16), SNAP_EXIT());
  VEC("st w imm", 0xffffffffull, ST(A_DW, R10, -16, 0), ST(A_W, R10, -16, -1), LDX(A_DW, R0, R10, -16), SNAP_EXIT());
  VEC("st h st b", 0x0000000000ab1234ull, ST(A_DW, R10, -8, 0), ST(A_H, R10, -8, 0x1234), ST(A_B, R10, -6, 0xab),
      LDX(A_DW, R0, R10, -8), SNAP_EXIT());
  VEC("ldsx b", 0xffffffffffffff80ull, ST(A_B, R10, -1, 0x80), LDSX(A_B, R0, R10, -1), SNAP_EXIT());
  VEC("ldsx h", 0xffffffffffff8000ull, ST(A_H, R10, -2, 0x8000), LDSX(A_H, R0, R10, -2), SNAP_EXIT());
  VEC("ldsx w", 0xffffffff80000000ull, ST(A_W, R10, -4, (int32_t)0x80000000), LDSX(A_W, R0, R10, -4), SNAP_EXIT());
  VEC("ldsx b positive", 0x7f, ST(A_B, R10, -1, 0x7f), LDSX(A_B, R0, R10, -1), SNAP_EXIT());
  VEC("ldx b zero-extends", 0x80, ST(A_B, R10, -1, 0x80), LDX(A_B, R0, R10, -1), SNAP_EXIT());
  VEC("unaligned dw", 0x1122334455667788ull, LD_IMM64(R1, 0x1122334455667788ull), STX(A_DW, R10, R1, -13),
      LDX(A_DW, R0, R10, -13), SNAP_EXIT());
  VEC("heap store", 0xcafe, LD_IMM64(R2, 0x30000000), ST(A_DW, R2, 16, 0xcafe), LDX(A_DW, R0, R2, 16), SNAP_EXIT());
  VEC("request read", 38, LDX(A_B, R0, R1, 5), EXIT());
  VEC("request read h", 0x0a03, LDX(A_H, R0, R1, 0), EXIT());
  VEC("rodata read", 'z', LD_IMM64(R2, 0x00100000), LDX(A_B, R0, R2, 0), EXIT());
  /* the cage rule: the address is the low 32 bits of the 64-bit sum */
  VEC("address wraps to 32 bits", 3, LD_IMM64(R2, 0x510000000ull), LDX(A_B, R0, R2, 0), EXIT());
  VEC("offset added after the cut", 38, LD_IMM64(R2, 0x510000000ull), LDX(A_B, R0, R2, 5), EXIT());
  VEC("negative offset after the cut", 38, LD_IMM64(R2, 0x510000010ull), LDX(A_B, R0, R2, -11), EXIT());
  VEC("negative offset wraps", 0xcafe, LD_IMM64(R2, 0x130000008ull), ST(A_DW, R2, -8, 0xcafe),
      LD_IMM64(R3, 0x30000000), LDX(A_DW, R0, R3, 0), SNAP_EXIT());
  VEC("r10 based pointer arithmetic", 77, MOV64_REG(R2, R10), ALU64_IMM(OP_ADD, R2, -24), ST(A_DW, R2, 0, 77),
      LDX(A_DW, R0, R10, -24), SNAP_EXIT());
}

static void vectors_atomic(struct arena *a, struct case_set *set)
{
#define AT_PRE(mem) LD_IMM64(R1, mem), STX(A_DW, R10, R1, -8)
  VEC("atomic add64", 15, AT_PRE(10), MOV64_IMM(R2, 5), ATOMIC(A_DW, R10, R2, -8, 0x00), LDX(A_DW, R0, R10, -8), SNAP_EXIT());
  VEC("atomic fetch_add64 old", 10, AT_PRE(10), MOV64_IMM(R2, 5), ATOMIC(A_DW, R10, R2, -8, 0x01), MOV64_REG(R0, R2), SNAP_EXIT());
  VEC("atomic or64", 0xf0f, AT_PRE(0xf00), MOV64_IMM(R2, 0x0f), ATOMIC(A_DW, R10, R2, -8, 0x40), LDX(A_DW, R0, R10, -8), SNAP_EXIT());
  VEC("atomic fetch_or64", 0xf00, AT_PRE(0xf00), MOV64_IMM(R2, 0x0f), ATOMIC(A_DW, R10, R2, -8, 0x41), MOV64_REG(R0, R2), SNAP_EXIT());
  VEC("atomic and64", 0x0f0, AT_PRE(0xff0), MOV64_IMM(R2, 0x0ff), ATOMIC(A_DW, R10, R2, -8, 0x50), LDX(A_DW, R0, R10, -8), SNAP_EXIT());
  VEC("atomic fetch_and64", 0xff0, AT_PRE(0xff0), MOV64_IMM(R2, 0x0ff), ATOMIC(A_DW, R10, R2, -8, 0x51), MOV64_REG(R0, R2), SNAP_EXIT());
  VEC("atomic xor64", 0xff0, AT_PRE(0xf0f), MOV64_IMM(R2, 0x0ff), ATOMIC(A_DW, R10, R2, -8, 0xa0), LDX(A_DW, R0, R10, -8), SNAP_EXIT());
  VEC("atomic fetch_xor64", 0xf0f, AT_PRE(0xf0f), MOV64_IMM(R2, 0x0ff), ATOMIC(A_DW, R10, R2, -8, 0xa1), MOV64_REG(R0, R2), SNAP_EXIT());
  VEC("atomic xchg64 old", 7, AT_PRE(7), MOV64_IMM(R2, 9), ATOMIC(A_DW, R10, R2, -8, 0xe1), MOV64_REG(R0, R2), SNAP_EXIT());
  VEC("atomic xchg64 new", 9, AT_PRE(7), MOV64_IMM(R2, 9), ATOMIC(A_DW, R10, R2, -8, 0xe1), LDX(A_DW, R0, R10, -8), SNAP_EXIT());
  VEC("atomic cmpxchg64 hit", 9 * 16 + 7, AT_PRE(7), MOV64_IMM(R2, 9), MOV64_IMM(R0, 7), ATOMIC(A_DW, R10, R2, -8, 0xf1),
      LDX(A_DW, R3, R10, -8), ALU64_IMM(OP_LSH, R3, 4), ALU64_REG(OP_ADD, R0, R3), SNAP_EXIT());
  VEC("atomic cmpxchg64 miss", 7 * 16 + 7, AT_PRE(7), MOV64_IMM(R2, 9), MOV64_IMM(R0, 8), ATOMIC(A_DW, R10, R2, -8, 0xf1),
      LDX(A_DW, R3, R10, -8), ALU64_IMM(OP_LSH, R3, 4), ALU64_REG(OP_ADD, R0, R3), SNAP_EXIT());
  VEC("atomic add32 keeps high word", 0xaaaaaaaa00000008ull, AT_PRE(0xaaaaaaaa00000005ull), MOV64_IMM(R2, 3),
      ATOMIC(A_W, R10, R2, -8, 0x00), LDX(A_DW, R0, R10, -8), SNAP_EXIT());
  VEC("atomic fetch_add32 zero-extends", 5, AT_PRE(0xaaaaaaaa00000005ull), LD_IMM64(R2, 0xffffffff00000001ull),
      ATOMIC(A_W, R10, R2, -8, 0x01), MOV64_REG(R0, R2), SNAP_EXIT());
  VEC("atomic fetch_or32", 0xaaaaaaaa00000007ull, AT_PRE(0xaaaaaaaa00000005ull), MOV64_IMM(R2, 3),
      ATOMIC(A_W, R10, R2, -8, 0x41), LDX(A_DW, R0, R10, -8), SNAP_EXIT());
  VEC("atomic and32", 0xaaaaaaaa00000001ull, AT_PRE(0xaaaaaaaa00000005ull), MOV64_IMM(R2, 3),
      ATOMIC(A_W, R10, R2, -8, 0x50), LDX(A_DW, R0, R10, -8), SNAP_EXIT());
  VEC("atomic xor32", 0xaaaaaaaa00000006ull, AT_PRE(0xaaaaaaaa00000005ull), MOV64_IMM(R2, 3),
      ATOMIC(A_W, R10, R2, -8, 0xa1), LDX(A_DW, R0, R10, -8), SNAP_EXIT());
  VEC("atomic xchg32", 0xaaaaaaaa00000009ull, AT_PRE(0xaaaaaaaa00000005ull), LD_IMM64(R2, 0x7700000009ull),
      ATOMIC(A_W, R10, R2, -8, 0xe1), LDX(A_DW, R0, R10, -8), SNAP_EXIT());
  VEC("atomic cmpxchg32 compares low word", 0x5, AT_PRE(0xaaaaaaaa00000005ull), MOV64_IMM(R2, 9),
      LD_IMM64(R0, 0xffffffff00000005ull), ATOMIC(A_W, R10, R2, -8, 0xf1), SNAP_EXIT());
  VEC("atomic cmpxchg32 stored", 0xaaaaaaaa00000009ull, AT_PRE(0xaaaaaaaa00000005ull), MOV64_IMM(R2, 9),
      LD_IMM64(R0, 0xffffffff00000005ull), ATOMIC(A_W, R10, R2, -8, 0xf1), LDX(A_DW, R0, R10, -8), SNAP_EXIT());
  VEC("atomic on heap", 3, LD_IMM64(R1, 0x30000000), ST(A_DW, R1, 0, 1), MOV64_IMM(R2, 2), ATOMIC(A_DW, R1, R2, 0, 0x00),
      LDX(A_DW, R0, R1, 0), SNAP_EXIT());
#undef AT_PRE
}

void vectors_jumps_add(struct arena *a, struct case_set *set);
void vectors_calls_add(struct arena *a, struct case_set *set);

void vectors_add_all(struct arena *a, struct case_set *set)
{
  vectors_alu64(a, set);
  vectors_alu32(a, set);
  vectors_end(a, set);
  vectors_memory(a, set);
  vectors_atomic(a, set);
  vectors_jumps_add(a, set);
  vectors_calls_add(a, set);
}
