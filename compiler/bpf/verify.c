/* The verifier, instruction pass: every opcode known for -mcpu=v4 with legal
 * fields, registers r0-r10 with r10 never written, helper ids from
 * abi/helpers.def, jumps and calls landing on instruction starts inside the
 * right function, every function ending in exit or ja. Flow checks (depth,
 * recursion, stack) are in verify_flow.c. Safety at run time is the cage's. */
#include "verify.h"

#include <stdarg.h>
#include <stdio.h>

#include "insn.h"

static const int verify_helper_ids[] = {
#define ZS_HELPER(id, name, args, doc) id,
#include "abi/helpers.def"
#undef ZS_HELPER
};

void verify_error(struct verify_ctx *c, size_t pc, const char *fmt, ...)
{
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const struct bpf_line *l = bpf_program_line(c->prog, pc);
  const struct bpf_func *f = bpf_program_func(c->prog, pc);
  struct srcpos pos = { 0 };
  if (l && l->file)
    pos = (struct srcpos){ .file = l->file, .line = (int)l->line, .col = (int)l->col };
  diag_error(c->d, pos, "eBPF instruction %zu in %s: %s", pc, f ? f->name : "?", msg);
}

static bool verify_helper_known(int32_t id)
{
  for (size_t i = 0; i < sizeof verify_helper_ids / sizeof verify_helper_ids[0]; i++)
    if (verify_helper_ids[i] == id)
      return true;
  return false;
}

static int verify_unknown(struct verify_ctx *c, size_t pc, const struct bpf_insn *in)
{
  verify_error(c, pc, "unknown opcode 0x%02x", in->code);
  return -1;
}

static int verify_writes_dst(struct verify_ctx *c, size_t pc, const struct bpf_insn *in)
{
  if (in->dst != 10)
    return 0;
  verify_error(c, pc, "writes r10, the read-only frame pointer");
  return -1;
}

/* K operands have src 0, X operands imm 0 */
static int verify_operand(struct verify_ctx *c, size_t pc, const struct bpf_insn *in)
{
  if (bpf_insn_source(in) == BPF_SRC_K && in->src != 0) {
    verify_error(c, pc, "immediate form with a source register (r%u)", in->src);
    return -1;
  }
  if (bpf_insn_source(in) == BPF_SRC_X && in->imm != 0) {
    verify_error(c, pc, "register form with a non-zero immediate");
    return -1;
  }
  return 0;
}

/* END: to-le/to-be in ALU (source bit picks), bswap in ALU64 (source bit 0) */
static int verify_end(struct verify_ctx *c, size_t pc, const struct bpf_insn *in)
{
  bool alu64 = bpf_insn_class(in) == BPF_CLASS_ALU64;
  if ((alu64 && bpf_insn_source(in) != BPF_SRC_K) || in->src || in->off)
    return verify_unknown(c, pc, in);
  if (in->imm != 16 && in->imm != 32 && in->imm != 64) {
    verify_error(c, pc, "byte swap of %d bits", in->imm);
    return -1;
  }
  return 0;
}

/* the off field: signed div/mod (1), sign-extending moves (8, 16, 32 in ALU64) */
static int verify_alu_off(struct verify_ctx *c, size_t pc, const struct bpf_insn *in, unsigned op)
{
  bool alu64 = bpf_insn_class(in) == BPF_CLASS_ALU64;
  bool ok = in->off == 0;
  if (op == BPF_ALU_DIV || op == BPF_ALU_MOD)
    ok = in->off == 0 || in->off == 1;
  else if (op == BPF_ALU_MOV && bpf_insn_source(in) == BPF_SRC_X)
    ok = in->off == 0 || in->off == 8 || in->off == 16 || (alu64 && in->off == 32);
  if (ok)
    return 0;
  verify_error(c, pc, "bad offset %d for ALU opcode 0x%02x", in->off, in->code);
  return -1;
}

static int verify_alu(struct verify_ctx *c, size_t pc, const struct bpf_insn *in)
{
  unsigned op = bpf_insn_op(in);
  if (op > BPF_ALU_END)
    return verify_unknown(c, pc, in);
  if (verify_writes_dst(c, pc, in) < 0)
    return -1;
  if (op == BPF_ALU_END)
    return verify_end(c, pc, in);
  if (op == BPF_ALU_NEG && (bpf_insn_source(in) != BPF_SRC_K || in->imm || in->src || in->off))
    return verify_unknown(c, pc, in);
  if (verify_operand(c, pc, in) < 0 || verify_alu_off(c, pc, in, op) < 0)
    return -1;
  bool k = bpf_insn_source(in) == BPF_SRC_K;
  if (k && (op == BPF_ALU_DIV || op == BPF_ALU_MOD) && in->imm == 0) {
    verify_error(c, pc, "division by the constant zero");
    return -1;
  }
  int width = bpf_insn_class(in) == BPF_CLASS_ALU64 ? 64 : 32;
  if (k && (op == BPF_ALU_LSH || op == BPF_ALU_RSH || op == BPF_ALU_ARSH) &&
      (in->imm < 0 || in->imm >= width)) {
    verify_error(c, pc, "shift by %d on a %d-bit value", in->imm, width);
    return -1;
  }
  return 0;
}

static int verify_atomic(struct verify_ctx *c, size_t pc, const struct bpf_insn *in)
{
  if (bpf_insn_size(in) != BPF_SIZE_W && bpf_insn_size(in) != BPF_SIZE_DW)
    return verify_unknown(c, pc, in);
  int op = in->imm & ~BPF_ATOMIC_FETCH;
  bool plain = op == BPF_ATOMIC_ADD || op == BPF_ATOMIC_OR || op == BPF_ATOMIC_AND || op == BPF_ATOMIC_XOR;
  if (!plain && in->imm != BPF_ATOMIC_XCHG && in->imm != BPF_ATOMIC_CMPXCHG) {
    verify_error(c, pc, "unknown atomic operation 0x%x", in->imm);
    return -1;
  }
  if ((in->imm & BPF_ATOMIC_FETCH) && in->imm != BPF_ATOMIC_CMPXCHG && in->src == 10) {
    verify_error(c, pc, "atomic fetch into r10, the read-only frame pointer");
    return -1;
  }
  return 0;
}

/* LDX, ST, STX: loads (plain, sign-extending), stores, atomics */
static int verify_mem(struct verify_ctx *c, size_t pc, const struct bpf_insn *in)
{
  unsigned cls = bpf_insn_class(in), mode = bpf_insn_mode(in);
  if (cls == BPF_CLASS_LDX) {
    bool ok = mode == BPF_MODE_MEM || (mode == BPF_MODE_MEMSX && bpf_insn_size(in) != BPF_SIZE_DW);
    if (!ok || in->imm)
      return verify_unknown(c, pc, in);
    return verify_writes_dst(c, pc, in);
  }
  if (cls == BPF_CLASS_ST)
    return mode == BPF_MODE_MEM && !in->src ? 0 : verify_unknown(c, pc, in);
  if (mode == BPF_MODE_ATOMIC)
    return verify_atomic(c, pc, in);
  return mode == BPF_MODE_MEM && !in->imm ? 0 : verify_unknown(c, pc, in);
}

static int verify_ld_imm64(struct verify_ctx *c, size_t pc, const struct bpf_insn *in)
{
  if (!bpf_insn_is_ld_imm64(in))
    return verify_unknown(c, pc, in);
  const struct bpf_func *f = bpf_program_func(c->prog, pc);
  if (!f || pc + 1 >= f->end) {
    verify_error(c, pc, "ld_imm64 without its second instruction");
    return -1;
  }
  const struct bpf_insn *next = in + 1;
  if (in->src || in->off || next->code || next->dst || next->src || next->off) {
    verify_error(c, pc, "ld_imm64 with a pseudo source (%u) or a bad second slot", in->src);
    return -1;
  }
  return verify_writes_dst(c, pc, in);
}

static int verify_call(struct verify_ctx *c, size_t pc, const struct bpf_insn *in)
{
  if (in->dst || in->off || bpf_insn_source(in) != BPF_SRC_K)
    return verify_unknown(c, pc, in);
  if (in->src == BPF_PSEUDO_HELPER) {
    if (verify_helper_known(in->imm))
      return 0;
    verify_error(c, pc, "call to unknown helper %d (not in abi/helpers.def)", in->imm);
    return -1;
  }
  if (in->src != BPF_PSEUDO_LOCAL_CALL) {
    verify_error(c, pc, "call of kind %u (kernel functions are not supported)", in->src);
    return -1;
  }
  long long target = (long long)pc + 1 + in->imm;
  if (target < 0 || (size_t)target >= c->prog->insn_count ||
      c->prog->funcs[c->func_of[target]].start != (uint32_t)target) {
    verify_error(c, pc, "call to instruction %lld, which is not the start of a function", target);
    return -1;
  }
  return 0;
}

static int verify_jump_target(struct verify_ctx *c, size_t pc, const struct bpf_insn *in)
{
  long long target = bpf_insn_jump_target(in, (long long)pc);
  const struct bpf_func *f = &c->prog->funcs[c->func_of[pc]];
  if (target < f->start || target >= f->end) {
    verify_error(c, pc, "jump to instruction %lld, outside %s", target, f->name);
    return -1;
  }
  if (c->second_slot[target]) {
    verify_error(c, pc, "jump into the middle of the ld_imm64 at %lld", target - 1);
    return -1;
  }
  return 0;
}

static int verify_jmp(struct verify_ctx *c, size_t pc, const struct bpf_insn *in)
{
  unsigned op = bpf_insn_op(in);
  bool jmp32 = bpf_insn_class(in) == BPF_CLASS_JMP32;
  if (op > BPF_JMP_JSLE || (jmp32 && (op == BPF_JMP_CALL || op == BPF_JMP_EXIT)))
    return verify_unknown(c, pc, in);
  if (op == BPF_JMP_CALL)
    return verify_call(c, pc, in);
  if (op == BPF_JMP_EXIT)
    return in->code == BPF_OPCODE_EXIT && !in->dst && !in->src && !in->off && !in->imm
               ? 0 : verify_unknown(c, pc, in);
  if (op == BPF_JMP_JA) {
    bool ok = bpf_insn_source(in) == BPF_SRC_K && !in->dst && !in->src && (jmp32 ? !in->off : !in->imm);
    if (!ok)
      return verify_unknown(c, pc, in);
  } else if (verify_operand(c, pc, in) < 0) {
    return -1;
  }
  return verify_jump_target(c, pc, in);
}

static int verify_insn(struct verify_ctx *c, size_t pc)
{
  const struct bpf_insn *in = &c->prog->insns[pc];
  if (in->dst > 10 || in->src > 10) {
    verify_error(c, pc, "register r%u does not exist", in->dst > 10 ? in->dst : in->src);
    return -1;
  }
  switch (bpf_insn_class(in)) {
  case BPF_CLASS_LD: return verify_ld_imm64(c, pc, in);
  case BPF_CLASS_LDX: case BPF_CLASS_ST: case BPF_CLASS_STX: return verify_mem(c, pc, in);
  case BPF_CLASS_ALU: case BPF_CLASS_ALU64: return verify_alu(c, pc, in);
  default: return verify_jmp(c, pc, in);
  }
}

/* functions tile the program in order; fills func_of */
static int verify_functions(struct verify_ctx *c)
{
  struct bpf_program *p = c->prog;
  uint32_t at = 0;
  for (size_t i = 0; i < p->func_count; i++) {
    const struct bpf_func *f = &p->funcs[i];
    if (f->start != at || f->end <= f->start || f->end > p->insn_count) {
      diag_error(c->d, (struct srcpos){ 0 }, "function %s does not follow the previous one", f->name);
      return -1;
    }
    for (uint32_t pc = f->start; pc < f->end; pc++)
      c->func_of[pc] = (uint32_t)i;
    at = f->end;
  }
  if (at != p->insn_count || p->insn_count == 0) {
    diag_error(c->d, (struct srcpos){ 0 }, "eBPF program has instructions outside functions, or none");
    return -1;
  }
  return 0;
}

static void verify_mark_slots(struct verify_ctx *c)
{
  for (size_t pc = 0; pc + 1 < c->prog->insn_count; pc++)
    if (bpf_insn_is_ld_imm64(&c->prog->insns[pc]) && !c->second_slot[pc]) {
      c->second_slot[pc + 1] = true;
      pc++;
    }
}

static int verify_ends(struct verify_ctx *c)
{
  int rc = 0;
  for (size_t i = 0; i < c->prog->func_count; i++) {
    const struct bpf_func *f = &c->prog->funcs[i];
    const struct bpf_insn *last = &c->prog->insns[f->end - 1];
    bool ok = !c->second_slot[f->end - 1] && (last->code == BPF_OPCODE_EXIT ||
              last->code == BPF_OPCODE_JA || last->code == BPF_OPCODE_GOTOL);
    if (!ok) {
      verify_error(c, f->end - 1, "function %s does not end in exit or ja", f->name);
      rc = -1;
    }
  }
  return rc;
}

int bpf_verify(struct bpf_program *prog, struct diag *d)
{
  struct arena scratch = { 0 };
  struct verify_ctx c = { .prog = prog, .d = d, .scratch = &scratch };
  c.func_of = arena_alloc(&scratch, (prog->insn_count + 1) * sizeof *c.func_of);
  c.second_slot = arena_alloc(&scratch, prog->insn_count + 1);
  int rc = verify_functions(&c);
  if (rc == 0) {
    verify_mark_slots(&c);
    for (size_t pc = 0; pc < prog->insn_count; pc++)
      if (!c.second_slot[pc] && verify_insn(&c, pc) < 0)
        rc = -1;
    if (verify_ends(&c) < 0)
      rc = -1;
  }
  if (rc == 0)
    rc = verify_flow(&c);
  arena_reset(&scratch);
  return rc;
}
