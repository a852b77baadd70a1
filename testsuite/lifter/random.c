/* The random program generator: seeded, so a failure is reproducible by its
 * seed and index. Each program is blocks of straight-line ALU code, memory
 * ops on stack and heap, atomics, forward branches over whole blocks, bounded
 * loops, helper calls and a call to a generated callee; it ends by folding
 * every register into r0 and snapshotting memory. Registers: r0-r5, r7, r8
 * free; r6 loop counter; r9 heap base (never written after the prologue). */
#include <stdio.h>
#include <string.h>

#include "asm.h"
#include "cases.h"

#define RAND_MAX_INSNS 1024
#define RAND_FREE_REGS 8

struct rand_gen {
  uint64_t state;
  struct bpf_insn insns[RAND_MAX_INSNS];
  size_t n;
};

static uint64_t rand_next(struct rand_gen *g)
{
  g->state ^= g->state >> 12;
  g->state ^= g->state << 25;
  g->state ^= g->state >> 27;
  return g->state * 0x2545f4914f6cdd1dull;
}

static unsigned rand_below(struct rand_gen *g, unsigned n)
{
  return (unsigned)(rand_next(g) % n);
}

static void rand_emit(struct rand_gen *g, struct bpf_insn in)
{
  if (g->n < RAND_MAX_INSNS)
    g->insns[g->n++] = in;
}

static void rand_ld_imm64(struct rand_gen *g, uint8_t reg, uint64_t v)
{
  const struct bpf_insn pair[] = {LD_IMM64(reg, v)};
  rand_emit(g, pair[0]);
  rand_emit(g, pair[1]);
}

static uint8_t rand_reg(struct rand_gen *g)
{
  static const uint8_t regs[RAND_FREE_REGS] = {0, 1, 2, 3, 4, 5, 7, 8};
  return regs[rand_below(g, RAND_FREE_REGS)];
}

/* values near the edges are where the bugs are */
static int32_t rand_imm(struct rand_gen *g)
{
  static const int32_t edges[] = {0, 1, -1, 2, 31, 32, 63, 64, 0x7fffffff, (int32_t)0x80000000, 0xff, 0xffff, -2};
  if (rand_below(g, 3) == 0)
    return edges[rand_below(g, sizeof edges / sizeof *edges)];
  return (int32_t)rand_next(g) >> rand_below(g, 32);
}

static void rand_alu(struct rand_gen *g)
{
  static const uint8_t ops[] = {OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_OR, OP_AND, OP_LSH, OP_RSH,
                                OP_NEG, OP_MOD, OP_XOR, OP_MOV, OP_ARSH, OP_END};
  uint8_t op = ops[rand_below(g, sizeof ops / sizeof *ops)];
  uint8_t cls = rand_below(g, 2) ? A_ALU64 : A_ALU, src = rand_below(g, 2) ? A_X : A_K;
  struct bpf_insn in = I(cls | src | op, rand_reg(g), rand_reg(g), 0, rand_imm(g));
  if (op == OP_DIV || op == OP_MOD)
    in.off = (int16_t)rand_below(g, 2);
  if (op == OP_MOV && src == A_X && rand_below(g, 3) == 0) {
    static const int16_t widths[] = {8, 16, 32};
    in.off = widths[rand_below(g, cls == A_ALU64 ? 3 : 2)];
  }
  if (op == OP_END) {
    static const int32_t widths[] = {16, 32, 64};
    in.imm = widths[rand_below(g, 3)];
    if (cls == A_ALU64)
      in.code &= (uint8_t)~A_X;
  }
  if (op == OP_NEG)
    in.code &= (uint8_t)~A_X;
  rand_emit(g, in);
}

static uint8_t rand_size(struct rand_gen *g)
{
  static const uint8_t sizes[] = {A_B, A_H, A_W, A_DW};
  return sizes[rand_below(g, 4)];
}

static unsigned rand_size_bytes(uint8_t size)
{
  return size == A_B ? 1 : size == A_H ? 2 : size == A_W ? 4 : 8;
}

/* An access on the stack (below r10) or the heap (via r9, or r8 = r9 + index),
 * always inside its region: a faulting access whose result is unused may be
 * dropped by the C compiler, so only the wild load of the epilogue faults. */
static void rand_mem(struct rand_gen *g)
{
  unsigned kind = rand_below(g, 5), where = rand_below(g, 3);
  uint8_t size = kind == 3 ? (rand_below(g, 2) ? A_DW : A_W) : rand_size(g), base = 10;
  if (kind == 1 && size == A_DW)
    size = A_W;
  int16_t off = (int16_t)-(int)(rand_size_bytes(size) + rand_below(g, 256));
  if (where == 1) {
    base = 9;
    off = (int16_t)rand_below(g, 1024);
  } else if (where == 2) {
    rand_emit(g, MOV64_REG(8, rand_reg(g)));
    rand_emit(g, ALU64_IMM(OP_AND, 8, 0x7ff));
    rand_emit(g, ALU64_REG(OP_ADD, 8, 9));
    base = 8;
    off = (int16_t)rand_below(g, 64);
  }
  static const int32_t atomics[] = {0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1};
  uint8_t src = rand_reg(g);
  if (base == 8 && src == 8)
    src = 7;
  switch (kind) {
  case 0: rand_emit(g, LDX(size, rand_reg(g), base, off)); break;
  case 1: rand_emit(g, LDSX(size, rand_reg(g), base, off)); break;
  case 2: rand_emit(g, ST(size, base, off, rand_imm(g))); break;
  case 3: rand_emit(g, ATOMIC(size, base, src, off, atomics[rand_below(g, 10)])); break;
  default: rand_emit(g, STX(size, base, src, off)); break;
  }
}

static struct bpf_insn rand_cond(struct rand_gen *g, int16_t off)
{
  static const uint8_t ops[] = {OP_JEQ, OP_JGT, OP_JGE, OP_JSET, OP_JNE, OP_JSGT, OP_JSGE, OP_JLT, OP_JLE, OP_JSLT, OP_JSLE};
  uint8_t cls = rand_below(g, 2) ? A_JMP : A_JMP32, src = rand_below(g, 2) ? A_X : A_K;
  return I(cls | src | ops[rand_below(g, sizeof ops / sizeof *ops)], rand_reg(g), rand_reg(g), off, rand_imm(g));
}

static void rand_straight(struct rand_gen *g, unsigned count)
{
  for (unsigned i = 0; i < count; i++) {
    if (rand_below(g, 4) == 0)
      rand_mem(g);
    else
      rand_alu(g);
  }
}

/* a forward branch over a straight-line stretch: the offset is known once it is emitted */
static void rand_branch(struct rand_gen *g)
{
  size_t at = g->n;
  rand_emit(g, rand_cond(g, 0));
  rand_straight(g, 1 + rand_below(g, 4));
  if (at < RAND_MAX_INSNS)
    g->insns[at].off = (int16_t)(g->n - at - 1);
}

/* r6 counts down from 1..6; the body never writes r6 */
static void rand_loop(struct rand_gen *g)
{
  rand_emit(g, MOV64_IMM(6, 1 + (int32_t)rand_below(g, 6)));
  size_t top = g->n;
  rand_straight(g, 1 + rand_below(g, 4));
  rand_emit(g, ALU64_IMM(OP_SUB, 6, 1));
  rand_emit(g, rand_below(g, 2) ? JMP_IMM(OP_JNE, 6, 0, (int16_t)(top - g->n - 1))
                                 : JMP32_IMM(OP_JSGT, 6, 0, (int16_t)(top - g->n - 1)));
}

static void rand_block(struct rand_gen *g, size_t callee_at)
{
  unsigned kind = rand_below(g, 16);
  if (kind < 8)
    rand_straight(g, 1 + rand_below(g, 3));
  else if (kind < 11)
    rand_branch(g);
  else if (kind < 13)
    rand_loop(g);
  else if (kind == 13)
    rand_emit(g, CALL_HELPER(0));
  else if (kind == 14)
    rand_mem(g);
  else if (callee_at)
    rand_emit(g, CALL_LOCAL(0));   /* patched once the callee's place is known */
}

static void rand_prologue(struct rand_gen *g)
{
  rand_ld_imm64(g, 9, 0x30000000);
  for (uint8_t r = 0; r <= 8; r++) {
    if (r == 6)
      continue;
    if (rand_below(g, 2))
      rand_ld_imm64(g, r, rand_next(g));
    else
      rand_emit(g, MOV64_IMM(r, rand_imm(g)));
  }
}

static void rand_epilogue(struct rand_gen *g, int wild)
{
  if (wild)                    /* a pointer from a random register: usually a fault */
    rand_emit(g, LDX(rand_size(g), 0, rand_reg(g), (int16_t)rand_imm(g)));
  for (uint8_t r = 1; r <= 8; r++) {
    rand_emit(g, ALU64_IMM(OP_MUL, 0, 0x9e3779b1));
    rand_emit(g, ALU64_REG(OP_XOR, 0, r));
  }
  rand_emit(g, MOV64_REG(6, 0));
  rand_emit(g, CALL_HELPER(1));
  rand_emit(g, MOV64_REG(0, 6));
  rand_emit(g, EXIT());
}

/* the callee: ALU on r0-r5 and its own stack, then exit */
static void rand_callee(struct rand_gen *g)
{
  unsigned n = 2 + rand_below(g, 8);
  for (unsigned i = 0; i < n; i++) {
    uint8_t d = (uint8_t)rand_below(g, 6), s = (uint8_t)rand_below(g, 6);
    if (rand_below(g, 3) == 0)
      rand_emit(g, STX(A_B, 10, s, (int16_t)-(int)(1 + rand_below(g, 64))));
    else if (rand_below(g, 3) == 0)
      rand_emit(g, LDX(A_W, d, 10, (int16_t)-(int)(4 + rand_below(g, 64))));
    else
      rand_emit(g, ALU64_REG(rand_below(g, 2) ? OP_ADD : OP_XOR, d, s));
  }
  rand_emit(g, EXIT());
}

static void rand_program(struct arena *a, struct case_set *set, uint64_t seed, unsigned index)
{
  struct rand_gen g = {.state = seed * 0x9e3779b97f4a7c15ull + index * 0xbf58476d1ce4e5b9ull + 1};
  rand_prologue(&g);
  unsigned blocks = 4 + rand_below(&g, 12);
  for (unsigned i = 0; i < blocks && g.n < RAND_MAX_INSNS - 200; i++)
    rand_block(&g, 1);
  rand_epilogue(&g, rand_below(&g, 40) == 0);
  uint32_t callee = (uint32_t)g.n;
  rand_callee(&g);
  for (uint32_t pc = 0; pc < callee; pc++)
    if (g.insns[pc].code == (A_JMP | 0x80) && g.insns[pc].src == 1)
      g.insns[pc].imm = (int32_t)(callee - pc - 1);
  char name[64];
  snprintf(name, sizeof name, "random seed %llu #%u", (unsigned long long)seed, index);
  struct test_case *c = case_add(a, set, name, g.insns, g.n);
  c->func_start[1] = callee;
  static const uint32_t stacks[] = {0, 8, 64, 100};
  c->func_stack[0] = stacks[rand_below(&g, 4)];
  c->func_count = 2;
}

void random_add_all(struct arena *a, struct case_set *set, uint64_t seed, unsigned count)
{
  for (unsigned i = 0; i < count; i++)
    rand_program(a, set, seed, i);
}
