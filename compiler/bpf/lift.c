/* The lifter: eBPF instructions -> caged C, one statement per instruction.
 * It trusts nothing about the program's memory use (the cage does that) but
 * refuses what it cannot express: unknown opcodes, jumps or calls that leave
 * their function, writes to r10. The verifier is not needed for safety here.
 * Accesses are plain C, so the C compiler may drop one whose result is unused
 * (a dead load, a store of the value just loaded): such an access then cannot
 * trap, but every access that remains is caged. */
#include "bpf/lift.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../../abi/cage.h"
#include "../../abi/helpers.h"

enum {
  LIFT_LD = 0x00, LIFT_LDX = 0x01, LIFT_ST = 0x02, LIFT_STX = 0x03,
  LIFT_ALU = 0x04, LIFT_JMP = 0x05, LIFT_JMP32 = 0x06, LIFT_ALU64 = 0x07,
};
enum { LIFT_MODE_IMM = 0x00, LIFT_MODE_MEM = 0x60, LIFT_MODE_MEMSX = 0x80, LIFT_MODE_ATOMIC = 0xc0 };
enum { LIFT_SRC_X = 0x08 };
enum { LIFT_FETCH = 0x01, LIFT_XCHG = 0xe0, LIFT_CMPXCHG = 0xf0 };

/* what one function's lifting needs to know */
struct lift_func {
  struct arena *arena;
  const struct bpf_program *prog;
  const struct bpf_func *fn;
  struct strbuf *out;
  struct diag *d;
  bool *is_target;             /* indexed by insn - fn->start */
  bool *is_back_target;
  size_t line_cursor;          /* into prog->lines, advancing with pc */
  uint32_t pc;                 /* the instruction being lifted, for messages */
};

static int lift_error(struct lift_func *lf, const char *what)
{
  diag_error(lf->d, (struct srcpos){0}, "lift: %s at instruction %u (function %s)", what, lf->pc,
             lf->fn->name ? lf->fn->name : "?");
  return -1;
}

static const char *lift_size_type(int size_bits, bool sign)
{
  switch (size_bits) {
  case 0x00: return sign ? "zs_s32u" : "zs_u32u";
  case 0x08: return sign ? "zs_s16u" : "zs_u16u";
  case 0x10: return sign ? "s8" : "u8";
  default: return sign ? "s64" : "zs_u64u";
  }
}

/* the address operand of a load or store, as C: "rN + off" in u64 arithmetic */
static void lift_put_addr(struct strbuf *out, unsigned reg, int16_t off)
{
  if (off >= 0)
    strbuf_printf(out, "r%u + %d", reg, off);
  else
    strbuf_printf(out, "r%u - %d", reg, -off);
}

/* A guest access, as C. The exact rule is base + (u32)(reg + off); the
 * lifter emits forms the C compiler can fold into the addressing mode and
 * share between accesses off one register: base + (u32)reg + off for
 * 0 <= off < 32 KiB, base + (u32)(reg - 32 KiB) + (off + 32 KiB) below 0.
 * Both equal the exact rule unless the sum passes 4 GiB, where the exact
 * rule wraps to below 32 KiB + 8, which is never mapped, and the folded one
 * lands in the trailing guard: both fault, and the trap handler counts the
 * guard as the cage. */
_Static_assert(ZS_CAGE_GUARD >= 0x8000 + 8 && ZS_CAGE_RODATA_OFF >= 0x8000 + 8,
               "32 KiB + 8 past 4 GiB stays in the guard, and past 0 in the unmapped start");

static void lift_put_mem_ref(struct strbuf *out, const char *type, unsigned reg, int16_t off)
{
  if (off >= 0)
    strbuf_printf(out, "ZS_MEM(%s, r%u, %d)", type, reg, off);
  else
    strbuf_printf(out, "ZS_MEM_NEG(%s, r%u, %d)", type, reg, 0x8000 + off);
}

static bool lift_is_jump(const struct bpf_insn *in)
{
  unsigned cls = in->code & 7, op = in->code & 0xf0;
  return (cls == LIFT_JMP || cls == LIFT_JMP32) && op != 0x80 && op != 0x90;
}

static int64_t lift_jump_target(const struct bpf_insn *in, uint32_t pc)
{
  /* gotol (JMP32 | JA) carries its offset in imm */
  if ((in->code & 7) == LIFT_JMP32 && (in->code & 0xf0) == 0)
    return (int64_t)pc + 1 + in->imm;
  return (int64_t)pc + 1 + in->off;
}

static int lift_mark_targets(struct lift_func *lf)
{
  const struct bpf_func *fn = lf->fn;
  size_t n = fn->end - fn->start;
  lf->is_target = arena_alloc(lf->arena, n + 1);
  lf->is_back_target = arena_alloc(lf->arena, n + 1);
  for (uint32_t pc = fn->start; pc < fn->end; pc++) {
    const struct bpf_insn *in = &lf->prog->insns[pc];
    if (in->code == (LIFT_LD | 0x18)) {
      pc++;
      continue;
    }
    if (!lift_is_jump(in))
      continue;
    int64_t t = lift_jump_target(in, pc);
    lf->pc = pc;
    if (t < fn->start || t >= fn->end)
      return lift_error(lf, "jump leaves its function");
    lf->is_target[t - fn->start] = true;
    if (t <= pc)
      lf->is_back_target[t - fn->start] = true;
  }
  return 0;
}

/* the comment before each statement, e.g. "12 Caddyfile:4"; file names never close it */
static void lift_put_comment(struct lift_func *lf, uint32_t pc)
{
  const struct bpf_program *p = lf->prog;
  while (lf->line_cursor + 1 < p->line_count && p->lines[lf->line_cursor + 1].insn <= pc)
    lf->line_cursor++;
  strbuf_printf(lf->out, "  /* %u", pc);
  if (lf->line_cursor < p->line_count && p->lines[lf->line_cursor].insn <= pc) {
    const struct bpf_line *l = &p->lines[lf->line_cursor];
    const char *file = l->file ? l->file : "?";
    const char *base = strrchr(file, '/');
    strbuf_putc(lf->out, ' ');
    for (const char *s = base ? base + 1 : file; *s; s++)
      strbuf_putc(lf->out, *s == '*' ? '_' : *s);
    strbuf_printf(lf->out, ":%u", l->line);
  }
  strbuf_puts(lf->out, " */ ");
}

/* the second operand of an ALU or JMP instruction */
static void lift_put_src(struct strbuf *out, const struct bpf_insn *in, bool wide)
{
  if (in->code & LIFT_SRC_X)
    strbuf_printf(out, wide ? "r%u" : "(u32)r%u", in->src);
  else if (wide)
    strbuf_printf(out, "0x%llxull", (unsigned long long)(int64_t)in->imm);
  else
    strbuf_printf(out, "0x%xu", (uint32_t)in->imm);
}

static const char *lift_alu_infix(unsigned op)
{
  switch (op) {
  case 0x00: return "+";
  case 0x10: return "-";
  case 0x20: return "*";
  case 0x40: return "|";
  case 0x50: return "&";
  case 0xa0: return "^";
  default: return NULL;
  }
}

static int lift_alu_divmod(struct lift_func *lf, const struct bpf_insn *in, bool wide)
{
  unsigned op = in->code & 0xf0;
  if (in->off != 0 && in->off != 1)
    return lift_error(lf, "bad div/mod variant");
  const char *name = op == 0x30 ? (in->off ? "sdiv" : "udiv") : (in->off ? "smod" : "umod");
  strbuf_printf(lf->out, "r%u = zs_%s%d(r%u, ", in->dst, name, wide ? 64 : 32, in->dst);
  lift_put_src(lf->out, in, true);
  strbuf_puts(lf->out, ");\n");
  return 0;
}

static int lift_alu_mov(struct lift_func *lf, const struct bpf_insn *in, bool wide)
{
  struct strbuf *out = lf->out;
  if (in->off == 0) {
    strbuf_printf(out, "r%u = ", in->dst);
    lift_put_src(out, in, wide);
    strbuf_puts(out, ";\n");
    return 0;
  }
  /* movsx: sign-extend the low 8/16/32 bits of a register */
  const char *t = in->off == 8 ? "s8" : in->off == 16 ? "s16" : in->off == 32 && wide ? "s32" : NULL;
  if (!t || !(in->code & LIFT_SRC_X))
    return lift_error(lf, "bad movsx");
  strbuf_printf(out, "r%u = (%s)(s64)(%s)r%u;\n", in->dst, wide ? "u64" : "u32", t, in->src);
  return 0;
}

static int lift_alu_shift(struct lift_func *lf, const struct bpf_insn *in, bool wide)
{
  unsigned op = in->code & 0xf0, mask = wide ? 63 : 31;
  struct strbuf *out = lf->out;
  const char *ty = wide ? "u64" : "u32", *sty = wide ? "s64" : "s32";
  if (op == 0xc0)
    strbuf_printf(out, "r%u = (%s)((%s)r%u >> (", in->dst, ty, sty, in->dst);
  else
    strbuf_printf(out, "r%u = (%s)((%s)r%u %s (", in->dst, ty, ty, in->dst, op == 0x60 ? "<<" : ">>");
  lift_put_src(out, in, wide);
  strbuf_printf(out, " & %u));\n", mask);
  return 0;
}

/* END: to_le/to_be in the 32-bit class (host is little-endian), bswap in ALU64 */
static int lift_alu_end(struct lift_func *lf, const struct bpf_insn *in, bool wide)
{
  if (in->imm != 16 && in->imm != 32 && in->imm != 64)
    return lift_error(lf, "bad byte swap width");
  bool swap = wide || (in->code & LIFT_SRC_X);
  if (wide && (in->code & LIFT_SRC_X))
    return lift_error(lf, "bad bswap");
  if (swap)
    strbuf_printf(lf->out, "r%u = zs_bswap%d(r%u);\n", in->dst, in->imm, in->dst);
  else if (in->imm == 64)
    strbuf_printf(lf->out, "(void)r%u;\n", in->dst);
  else
    strbuf_printf(lf->out, "r%u = (u%d)r%u;\n", in->dst, in->imm, in->dst);
  return 0;
}

static int lift_alu(struct lift_func *lf, const struct bpf_insn *in, bool wide)
{
  unsigned op = in->code & 0xf0;
  const char *infix = lift_alu_infix(op);
  if (infix) {
    strbuf_printf(lf->out, wide ? "r%u = r%u %s " : "r%u = (u32)((u32)r%u %s ", in->dst, in->dst, infix);
    lift_put_src(lf->out, in, wide);
    strbuf_puts(lf->out, wide ? ";\n" : ");\n");
    return 0;
  }
  switch (op) {
  case 0x30: case 0x90: return lift_alu_divmod(lf, in, wide);
  case 0x60: case 0x70: case 0xc0: return lift_alu_shift(lf, in, wide);
  case 0xb0: return lift_alu_mov(lf, in, wide);
  case 0xd0: return lift_alu_end(lf, in, wide);
  case 0x80:
    strbuf_printf(lf->out, wide ? "r%u = -r%u;\n" : "r%u = (u32)-(u32)r%u;\n", in->dst, in->dst);
    return 0;
  default: return -1;
  }
}

static int lift_load(struct lift_func *lf, const struct bpf_insn *in)
{
  unsigned mode = in->code & 0xe0;
  if (mode != LIFT_MODE_MEM && mode != LIFT_MODE_MEMSX)
    return -1;
  bool sx = mode == LIFT_MODE_MEMSX;
  if (sx && (in->code & 0x18) == 0x18)
    return -1;
  strbuf_printf(lf->out, "r%u = (u64)%s", in->dst, sx ? "(s64)" : "");
  lift_put_mem_ref(lf->out, lift_size_type(in->code & 0x18, sx), in->src, in->off);
  strbuf_puts(lf->out, ";\n");
  return 0;
}

/* A store through any register but r10 may hit the heap: raise the heap
 * high-water mark so the runtime clears what the request wrote (stack stores
 * are r10-relative and the stack is cleared by its verified size). */
static void lift_put_heap_mark(struct strbuf *out, const struct bpf_insn *in)
{
  static const unsigned width[4] = {4, 2, 1, 8};
  if (in->dst == 10)
    return;
  strbuf_puts(out, "ZS_HEAP_MARK(");
  lift_put_addr(out, in->dst, in->off);
  strbuf_printf(out, ", %u); ", width[(in->code & 0x18) >> 3]);
}

static int lift_store(struct lift_func *lf, const struct bpf_insn *in)
{
  if ((in->code & 0xe0) != LIFT_MODE_MEM)
    return -1;
  const char *t = lift_size_type(in->code & 0x18, false);
  lift_put_heap_mark(lf->out, in);
  lift_put_mem_ref(lf->out, t, in->dst, in->off);
  if ((in->code & 7) == LIFT_STX)
    strbuf_printf(lf->out, " = (%s)r%u;\n", t, in->src);
  else
    strbuf_printf(lf->out, " = (%s)0x%llxull;\n", t, (unsigned long long)(int64_t)in->imm);
  return 0;
}

/* Atomics: one cage is one thread, so a plain read-modify-write is exact. */
static void lift_put_mem(struct strbuf *out, const char *t, const struct bpf_insn *in)
{
  lift_put_mem_ref(out, t, in->dst, in->off);
}

static int lift_atomic(struct lift_func *lf, const struct bpf_insn *in)
{
  unsigned size = in->code & 0x18, op = (unsigned)in->imm, base = op & ~(unsigned)LIFT_FETCH;
  if (size != 0x00 && size != 0x18)
    return -1;
  bool arith = base == 0x00 || base == 0x40 || base == 0x50 || base == 0xa0;
  if (!arith && op != (LIFT_XCHG | LIFT_FETCH) && op != (LIFT_CMPXCHG | LIFT_FETCH))
    return -1;
  const char *t = lift_size_type(size, false), *w = size ? "u64" : "u32";
  struct strbuf *out = lf->out;
  lift_put_heap_mark(out, in);
  strbuf_printf(out, "{ %s old = ", w);
  lift_put_mem(out, t, in);
  strbuf_puts(out, "; ");
  if (op == (LIFT_CMPXCHG | LIFT_FETCH)) {
    strbuf_printf(out, "if (old == (%s)r0) ", w);
    lift_put_mem(out, t, in);
    strbuf_printf(out, " = (%s)r%u; r0 = old; }\n", w, in->src);
    return 0;
  }
  lift_put_mem(out, t, in);
  if (arith)
    strbuf_printf(out, " = (%s)(old %s r%u);", w, lift_alu_infix(base), in->src);
  else
    strbuf_printf(out, " = (%s)r%u;", w, in->src);
  if (op & LIFT_FETCH)
    strbuf_printf(out, " r%u = old;", in->src);
  strbuf_puts(out, " }\n");
  return 0;
}

static const char *lift_cmp_infix(unsigned op, bool *sign)
{
  *sign = false;
  switch (op) {
  case 0x10: return "==";
  case 0x50: return "!=";
  case 0x20: return ">";
  case 0x30: return ">=";
  case 0xa0: return "<";
  case 0xb0: return "<=";
  }
  *sign = true;
  switch (op) {
  case 0x60: return ">";
  case 0x70: return ">=";
  case 0xc0: return "<";
  case 0xd0: return "<=";
  }
  return NULL;
}

static int lift_jump(struct lift_func *lf, const struct bpf_insn *in, uint32_t pc)
{
  unsigned op = in->code & 0xf0;
  bool wide = (in->code & 7) == LIFT_JMP, sign;
  int64_t t = lift_jump_target(in, pc);
  struct strbuf *out = lf->out;
  if (op == 0x00) {
    strbuf_printf(out, "goto L%lld;\n", (long long)t);
    return 0;
  }
  if (op == 0x40) {
    strbuf_printf(out, wide ? "if (r%u & " : "if ((u32)r%u & ", in->dst);
    lift_put_src(out, in, wide);
    strbuf_printf(out, ") goto L%lld;\n", (long long)t);
    return 0;
  }
  const char *cmp = lift_cmp_infix(op, &sign);
  if (!cmp)
    return -1;
  const char *ty = sign ? (wide ? "s64" : "s32") : (wide ? "u64" : "u32");
  strbuf_printf(out, "if ((%s)r%u %s (%s)", ty, in->dst, cmp, ty);
  lift_put_src(out, in, wide);
  strbuf_printf(out, ") goto L%lld;\n", (long long)t);
  return 0;
}

static const struct bpf_func *lift_find_func(const struct bpf_program *p, int64_t start)
{
  for (size_t i = 0; i < p->func_count; i++)
    if (p->funcs[i].start == start)
      return &p->funcs[i];
  return NULL;
}

/* A call to an eBPF function: depth-checked, with the callee's frame below ours. */
static int lift_call_local(struct lift_func *lf, const struct bpf_insn *in, uint32_t pc)
{
  int64_t t = (int64_t)pc + 1 + in->imm;
  if (!lift_find_func(lf->prog, t))
    return lift_error(lf, "call to an instruction that starts no function");
  uint32_t frame = lf->fn->stack_size ? lf->fn->stack_size : ZS_MAX_FRAME_STACK;
  frame = (frame + 7) & ~7u;
  strbuf_printf(lf->out,
                "if (c->depth >= %uu) ZS_TRAP(%d); c->depth++; ZS_SYNC_OUT(); "
                "r0 = f_%lld(c, r1, r2, r3, r4, r5, r10 - %u); ZS_SYNC_IN(); c->depth--;\n",
                ZS_MAX_CALL_DEPTH, ZS_TRAP_DEPTH, (long long)t, frame);
  return 0;
}

static int lift_call(struct lift_func *lf, const struct bpf_insn *in, uint32_t pc)
{
  if (in->src == 1)
    return lift_call_local(lf, in, pc);
  if (in->src != 0)
    return lift_error(lf, "kfunc calls are not supported");
  strbuf_printf(lf->out,
                "if ((u32)%du >= c->helper_count) ZS_TRAP(%d); ZS_SYNC_OUT(); "
                "r0 = c->helpers[(u32)%du](c, r1, r2, r3, r4, r5); ZS_SYNC_IN();\n",
                in->imm, ZS_TRAP_HELPER, in->imm);
  return 0;
}

static int lift_jmp_class(struct lift_func *lf, const struct bpf_insn *in, uint32_t pc)
{
  unsigned op = in->code & 0xf0;
  if (op == 0x80 && (in->code & 7) == LIFT_JMP)
    return lift_call(lf, in, pc);
  if (op == 0x90 && (in->code & 7) == LIFT_JMP) {
    strbuf_puts(lf->out, "ZS_SYNC_OUT(); return r0;\n");
    return 0;
  }
  return lift_jump(lf, in, pc);
}

static int lift_ld_imm64(struct lift_func *lf, const struct bpf_insn *in, uint32_t pc)
{
  if (in->code != (LIFT_LD | 0x18) || pc + 1 >= lf->fn->end)
    return -1;
  if (in->src != 0)
    return lift_error(lf, "unresolved 64-bit immediate (map or BTF reference)");
  uint64_t v = (uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)in[1].imm << 32;
  strbuf_printf(lf->out, "r%u = 0x%llxull;\n", in->dst, (unsigned long long)v);
  return 0;
}

static bool lift_writes_dst(const struct bpf_insn *in)
{
  unsigned cls = in->code & 7;
  return cls == LIFT_ALU || cls == LIFT_ALU64 || cls == LIFT_LDX || cls == LIFT_LD;
}

static int lift_insn(struct lift_func *lf, uint32_t pc)
{
  const struct bpf_insn *in = &lf->prog->insns[pc];
  if (in->dst > 10 || in->src > 10)
    return lift_error(lf, "register number above r10");
  if (in->dst == 10 && lift_writes_dst(in))
    return lift_error(lf, "write to r10");
  switch (in->code & 7) {
  case LIFT_ALU: return lift_alu(lf, in, false);
  case LIFT_ALU64: return lift_alu(lf, in, true);
  case LIFT_LDX: return lift_load(lf, in);
  case LIFT_ST: return lift_store(lf, in);
  case LIFT_STX:
    if ((in->code & 0xe0) == LIFT_MODE_ATOMIC)
      return lift_atomic(lf, in);
    return lift_store(lf, in);
  case LIFT_LD: return lift_ld_imm64(lf, in, pc);
  default: return lift_jmp_class(lf, in, pc);
  }
}

static void lift_put_label(struct lift_func *lf, uint32_t pc)
{
  if (!lf->is_target[pc - lf->fn->start])
    return;
  strbuf_printf(lf->out, "L%u:\n", pc);
  if (lf->is_back_target[pc - lf->fn->start])
    strbuf_puts(lf->out, "  ZS_POLL();\n");
}

static void lift_put_signature(struct strbuf *out, const struct bpf_func *fn, bool proto)
{
  strbuf_printf(out, "static u64 f_%u(struct zs_native_ctx *c, u64 r1, u64 r2, u64 r3, u64 r4, u64 r5, u64 r10)%s\n",
                fn->start, proto ? ";" : "");
}

static int lift_function(struct lift_func *lf)
{
  const struct bpf_func *fn = lf->fn;
  if (lift_mark_targets(lf) < 0)
    return -1;
  strbuf_printf(lf->out, "\n/* %s: instructions [%u, %u), %u bytes of stack */\n",
                fn->name ? fn->name : "?", fn->start, fn->end, fn->stack_size);
  lift_put_signature(lf->out, fn, false);
  strbuf_puts(lf->out, "{\n  u64 r0 = 0, r6 = 0, r7 = 0, r8 = 0, r9 = 0;\n"
                       "  ZS_LOCALS();\n"
                       "  (void)r1; (void)r2; (void)r3; (void)r4; (void)r5; (void)r6; (void)r7; (void)r8; (void)r9;\n"
                       "  ZS_POLL();\n");
  for (uint32_t pc = fn->start; pc < fn->end; pc++) {
    lift_put_label(lf, pc);
    lf->pc = pc;
    lift_put_comment(lf, pc);
    if (lift_insn(lf, pc) < 0) {
      if (lf->d->errors == 0)
        lift_error(lf, "unsupported instruction");
      return -1;
    }
    if (lf->prog->insns[pc].code == (LIFT_LD | 0x18))
      pc++;
  }
  /* falling off the end is a verifier error; without one it is a fault */
  strbuf_printf(lf->out, "  ZS_TRAP(%d);\n}\n", ZS_TRAP_FAULT);
  return 0;
}

const char *lift_entry_symbol(struct arena *a, const struct bpf_func *fn)
{
  const char *name = fn->name ? fn->name : "";
  const char *prefix = strncmp(name, "zs_entry_", 9) == 0 ? "" : "zs_entry_";
  char *sym = arena_printf(a, "%s%s", prefix, name);
  for (char *s = sym; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
      *s = '_';
  return sym;
}

static void lift_put_entry(struct arena *a, struct strbuf *out, const struct bpf_func *fn)
{
  strbuf_printf(out,
                "\n__attribute__((visibility(\"default\")))\n"
                "unsigned long long %s(struct zs_native_ctx *c, unsigned long long r1, unsigned long long r10)\n"
                "{\n  c->depth = 1;\n  return f_%u(c, r1, 0, 0, 0, 0, r10);\n}\n",
                lift_entry_symbol(a, fn), fn->start);
}

static int lift_check_funcs(const struct bpf_program *prog, struct diag *d)
{
  uint32_t at = 0;
  for (size_t i = 0; i < prog->func_count; i++) {
    const struct bpf_func *fn = &prog->funcs[i];
    if (fn->start != at || fn->end <= fn->start || fn->end > prog->insn_count) {
      diag_error(d, (struct srcpos){0}, "lift: functions do not tile the program at %s",
                 fn->name ? fn->name : "?");
      return -1;
    }
    at = fn->end;
  }
  return 0;
}

/* the library functions in one comment, a line each, by the name calls use */
static void lift_put_library_names(struct strbuf *out, const struct bpf_program *prog)
{
  bool any = false;
  for (size_t i = 0; i < prog->func_count; i++) {
    const struct bpf_func *fn = &prog->funcs[i];
    if (!fn->object)
      continue;
    if (!any)
      strbuf_puts(out, "\n/* library functions reached, listed by name only:\n");
    any = true;
    strbuf_printf(out, " *   f_%-6u%s\n", fn->start, fn->name ? fn->name : "?");
  }
  if (any)
    strbuf_puts(out, " */\n");
}

/* overrides: NULL, or (measurement builds only) text put after the prelude */
static int lift_emit(struct arena *a, const struct bpf_program *prog, bool library_code, const char *overrides,
                     struct strbuf *out, struct diag *d)
{
  if (lift_check_funcs(prog, d) < 0)
    return -1;
  if (library_code) {
    strbuf_put(out, zs_native_h, zs_native_h_len);
    strbuf_printf(out, "\n#define ZS_HEAP_OFF 0x%xu\n#define ZS_HEAP_SIZE 0x%xu\n", ZS_CAGE_HEAP_OFF, ZS_CAGE_HEAP_SIZE);
    strbuf_put(out, zs_caged_prelude, zs_caged_prelude_len);
    if (overrides)
      strbuf_puts(out, overrides);
  } else {
    strbuf_puts(out, "/* abi/native.h, the heap bounds and the caged prelude: not listed */\n");
  }
  strbuf_puts(out, "\n/* one function per eBPF function */\n");
  for (size_t i = 0; i < prog->func_count; i++)
    if (library_code || !prog->funcs[i].object)
      lift_put_signature(out, &prog->funcs[i], true);
  for (size_t i = 0; i < prog->func_count; i++) {
    struct lift_func lf = {.arena = a, .prog = prog, .fn = &prog->funcs[i], .out = out, .d = d};
    if ((library_code || !prog->funcs[i].object) && lift_function(&lf) < 0)
      return -1;
  }
  if (!library_code)
    lift_put_library_names(out, prog);
  for (size_t i = 0; i < prog->func_count; i++)
    if (prog->funcs[i].is_entry)
      lift_put_entry(a, out, &prog->funcs[i]);
  return 0;
}

int lift_program(struct arena *a, const struct bpf_program *prog, struct strbuf *out, struct diag *d)
{
  return lift_emit(a, prog, true, NULL, out, d);
}

int lift_program_own(struct arena *a, const struct bpf_program *prog, struct strbuf *out, struct diag *d)
{
  return lift_emit(a, prog, false, NULL, out, d);
}

#ifdef ZS_LIFT_MEASURE
/* Measurement only (bench/cage, its test): the same program with the cage or
 * the polls taken out. Uncaged accesses use guest addresses as host pointers,
 * so they run only in a window mapped at host address 0. The code carries
 * ZS_UNCAGED_MARKER in its text (top-level asm: libtcc puts even const data
 * in .data, which the native linker refuses), and the blob writer and zsrt's
 * loader refuse code that holds it. */
int lift_program_measure(struct arena *a, const struct bpf_program *prog, const struct lift_measure *m,
                         struct strbuf *out, struct diag *d)
{
  struct strbuf o;
  strbuf_init(&o, a);
  strbuf_puts(&o, "\n/* MEASUREMENT ONLY: never served */\n"
                  "__asm__(\".text\\n.ascii \\\"" ZS_UNCAGED_MARKER "\\\"\\n\");\n");
  if (m->no_cage)
    strbuf_puts(&o, "#undef ZS_MEM\n#define ZS_MEM(T, reg, off) (*(T *)((u64)(reg) + (off)))\n"
                    "#undef ZS_MEM_NEG\n#define ZS_MEM_NEG(T, reg, off) (*(T *)((u64)(reg) - 0x8000 + (off)))\n");
  if (m->no_poll)
    strbuf_puts(&o, "#undef ZS_POLL\n#define ZS_POLL() do { } while (0)\n");
  return lift_emit(a, prog, true, strbuf_cstr(&o), out, d);
}
#endif
