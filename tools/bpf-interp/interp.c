/* The reference eBPF interpreter. Deliberately naive: values are computed in
 * the most literal way the ISA text allows, with no shared code or tables
 * from the lifter, so that a disagreement points at one of the two. */
#include "interp.h"

#include <string.h>

#define INTERP_MAX_DEPTH 8     /* abi/cage.h ZS_MAX_CALL_DEPTH */
#define INTERP_FRAME_DEFAULT 512

static struct interp_region *interp_find(struct interp *vm, uint64_t addr, unsigned len)
{
  for (unsigned i = 0; i < vm->region_count; i++) {
    struct interp_region *r = &vm->regions[i];
    if (addr >= r->start && addr + len <= (uint64_t)r->start + r->size)
      return r;
  }
  return NULL;
}

int interp_read(struct interp *vm, uint64_t addr, void *dst, unsigned len)
{
  struct interp_region *r = interp_find(vm, addr, len);
  if (!r)
    return -1;
  memcpy(dst, r->mem + (addr - r->start), len);
  return 0;
}

int interp_write(struct interp *vm, uint64_t addr, const void *src, unsigned len)
{
  struct interp_region *r = interp_find(vm, addr, len);
  if (!r || !r->writable)
    return -1;
  memcpy(r->mem + (addr - r->start), src, len);
  return 0;
}

static unsigned interp_size_bytes(uint8_t code)
{
  switch (code & 0x18) {
  case 0x00: return 4;
  case 0x08: return 2;
  case 0x10: return 1;
  default: return 8;
  }
}

static int interp_trap(struct interp *vm, unsigned code, uint32_t pc)
{
  if (!vm->trap) {
    vm->trap = code;
    vm->trap_pc = pc;
  }
  return -1;
}

/* the cage address rule: 64-bit sum, then the low 32 bits */
static uint64_t interp_addr(uint64_t base, int16_t off)
{
  return (uint32_t)(base + (uint64_t)(int64_t)off);
}

static int interp_load(struct interp *vm, uint64_t addr, unsigned n, uint64_t *v, uint32_t pc)
{
  uint8_t b[8] = {0};
  if (interp_read(vm, addr, b, n) < 0)
    return interp_trap(vm, INTERP_TRAP_FAULT, pc);
  *v = 0;
  for (unsigned i = 0; i < n; i++)
    *v |= (uint64_t)b[i] << (8 * i);
  return 0;
}

static int interp_store(struct interp *vm, uint64_t addr, unsigned n, uint64_t v, uint32_t pc)
{
  uint8_t b[8];
  for (unsigned i = 0; i < n; i++)
    b[i] = (uint8_t)(v >> (8 * i));
  if (interp_write(vm, addr, b, n) < 0)
    return interp_trap(vm, INTERP_TRAP_FAULT, pc);
  return 0;
}

static uint64_t interp_sext(uint64_t v, unsigned bits)
{
  uint64_t sign = 1ull << (bits - 1);
  v &= bits == 64 ? ~0ull : (1ull << bits) - 1;
  return (v ^ sign) - sign;
}

static uint64_t interp_swap(uint64_t v, unsigned bits)
{
  uint64_t r = 0;
  for (unsigned i = 0; i < bits / 8; i++)
    r = r << 8 | ((v >> (8 * i)) & 0xff);
  return r;
}

/* arithmetic right shift of a sign-extended value, without relying on C's >> of negatives */
static uint64_t interp_arsh(uint64_t v, uint64_t n)
{
  return (v >> 63) ? ~(~v >> n) : v >> n;
}

/* 64-bit signed division in the ISA's terms: truncating, by 0 -> 0, overflow wraps */
static uint64_t interp_sdiv(uint64_t a, uint64_t b, unsigned bits)
{
  int64_t x = (int64_t)interp_sext(a, bits), y = (int64_t)interp_sext(b, bits);
  if (y == 0)
    return 0;
  if (y == -1)
    return 0 - (uint64_t)x;
  return (uint64_t)(x / y);
}

static uint64_t interp_smod(uint64_t a, uint64_t b, unsigned bits)
{
  int64_t x = (int64_t)interp_sext(a, bits), y = (int64_t)interp_sext(b, bits);
  if (y == 0)
    return (uint64_t)x;
  if (y == -1)
    return 0;
  return (uint64_t)(x % y);
}

/* one ALU operation on values already cut to `bits`; returns 0 or -1 (invalid) */
static int interp_alu_op(const struct bpf_insn *in, unsigned bits, uint64_t d, uint64_t s, uint64_t *res)
{
  uint64_t mask = bits == 64 ? ~0ull : 0xffffffffull;
  switch (in->code & 0xf0) {
  case 0x00: *res = d + s; break;
  case 0x10: *res = d - s; break;
  case 0x20: *res = d * s; break;
  case 0x30: *res = in->off ? interp_sdiv(d, s, bits) : (s ? d / s : 0); break;
  case 0x40: *res = d | s; break;
  case 0x50: *res = d & s; break;
  case 0x60: *res = d << (s % bits); break;
  case 0x70: *res = d >> (s % bits); break;
  case 0x80: *res = 0 - d; break;
  case 0x90: *res = in->off ? interp_smod(d, s, bits) : (s ? d % s : d); break;
  case 0xa0: *res = d ^ s; break;
  case 0xb0: *res = in->off ? interp_sext(s, (unsigned)in->off) : s; break;
  case 0xc0: *res = interp_arsh(interp_sext(d, bits), s % bits); break;
  default: return -1;
  }
  if (((in->code & 0xf0) == 0x30 || (in->code & 0xf0) == 0x90) && in->off != 0 && in->off != 1)
    return -1;
  if ((in->code & 0xf0) == 0xb0 && in->off && (in->off != 8 && in->off != 16 && (in->off != 32 || bits != 64)))
    return -1;
  *res &= mask;
  return 0;
}

static int interp_end(const struct bpf_insn *in, uint64_t *reg)
{
  unsigned w = (unsigned)in->imm;
  if (w != 16 && w != 32 && w != 64)
    return -1;
  uint64_t low = w == 64 ? *reg : *reg & ((1ull << w) - 1);
  if ((in->code & 7) == 0x07) {          /* ALU64: unconditional bswap */
    if (in->code & 0x08)
      return -1;
    *reg = interp_swap(low, w);
  } else {
    *reg = (in->code & 0x08) ? interp_swap(low, w) : low;
  }
  return 0;
}

static int interp_alu(struct interp *vm, const struct bpf_insn *in, uint64_t *r, uint32_t pc)
{
  unsigned bits = (in->code & 7) == 0x07 ? 64 : 32;
  uint64_t mask = bits == 64 ? ~0ull : 0xffffffffull;
  if ((in->code & 0xf0) == 0xd0)
    return interp_end(in, &r[in->dst]) < 0 ? interp_trap(vm, INTERP_TRAP_INVALID, pc) : 0;
  uint64_t s = (in->code & 0x08) ? r[in->src] : (uint64_t)(int64_t)in->imm;
  if ((in->code & 0xf0) == 0xb0 && in->off && !(in->code & 0x08))
    return interp_trap(vm, INTERP_TRAP_INVALID, pc);
  uint64_t res;
  if (interp_alu_op(in, bits, r[in->dst] & mask, s & mask, &res) < 0)
    return interp_trap(vm, INTERP_TRAP_INVALID, pc);
  /* 32-bit movsx: the sign extension stops at bit 31 */
  r[in->dst] = res & mask;
  return 0;
}

static int interp_atomic(struct interp *vm, const struct bpf_insn *in, uint64_t *r, uint32_t pc)
{
  unsigned n = interp_size_bytes(in->code);
  uint64_t addr = interp_addr(r[in->dst], in->off), old, mask = n == 8 ? ~0ull : 0xffffffffull;
  if (n != 4 && n != 8)
    return interp_trap(vm, INTERP_TRAP_INVALID, pc);
  if (interp_load(vm, addr, n, &old, pc) < 0)
    return -1;
  uint64_t src = r[in->src] & mask, val;
  switch (in->imm & ~1) {
  case 0x00: val = old + src; break;
  case 0x40: val = old | src; break;
  case 0x50: val = old & src; break;
  case 0xa0: val = old ^ src; break;
  case 0xe0: val = src; break;
  case 0xf0: val = old == (r[0] & mask) ? src : old; break;
  default: return interp_trap(vm, INTERP_TRAP_INVALID, pc);
  }
  if (in->imm >= 0xe0 && !(in->imm & 1))
    return interp_trap(vm, INTERP_TRAP_INVALID, pc);
  if (interp_store(vm, addr, n, val, pc) < 0)
    return -1;
  if (in->imm == 0xf1)
    r[0] = old;
  else if (in->imm & 1)
    r[in->src] = old;
  return 0;
}

static int interp_mem(struct interp *vm, const struct bpf_insn *in, uint64_t *r, uint32_t pc)
{
  unsigned cls = in->code & 7, mode = in->code & 0xe0, n = interp_size_bytes(in->code);
  if (cls == 0x03 && mode == 0xc0)
    return interp_atomic(vm, in, r, pc);
  if (cls == 0x01 && (mode == 0x60 || (mode == 0x80 && n != 8))) {
    uint64_t v;
    if (interp_load(vm, interp_addr(r[in->src], in->off), n, &v, pc) < 0)
      return -1;
    r[in->dst] = mode == 0x80 ? interp_sext(v, 8 * n) : v;
    return 0;
  }
  if ((cls == 0x02 || cls == 0x03) && mode == 0x60) {
    uint64_t v = cls == 0x03 ? r[in->src] : (uint64_t)(int64_t)in->imm;
    return interp_store(vm, interp_addr(r[in->dst], in->off), n, v, pc);
  }
  return interp_trap(vm, INTERP_TRAP_INVALID, pc);
}

static int interp_cond(const struct bpf_insn *in, uint64_t d, uint64_t s, int *taken)
{
  unsigned bits = (in->code & 7) == 0x06 ? 32 : 64;
  if (bits == 32) {
    d &= 0xffffffffull;
    s &= 0xffffffffull;
  }
  int64_t sd = (int64_t)interp_sext(d, bits), ss = (int64_t)interp_sext(s, bits);
  switch (in->code & 0xf0) {
  case 0x10: *taken = d == s; break;
  case 0x20: *taken = d > s; break;
  case 0x30: *taken = d >= s; break;
  case 0x40: *taken = (d & s) != 0; break;
  case 0x50: *taken = d != s; break;
  case 0x60: *taken = sd > ss; break;
  case 0x70: *taken = sd >= ss; break;
  case 0xa0: *taken = d < s; break;
  case 0xb0: *taken = d <= s; break;
  case 0xc0: *taken = sd < ss; break;
  case 0xd0: *taken = sd <= ss; break;
  default: return -1;
  }
  return 0;
}

static const struct bpf_func *interp_func_at(const struct bpf_program *p, uint32_t start)
{
  for (size_t i = 0; i < p->func_count; i++)
    if (p->funcs[i].start == start)
      return &p->funcs[i];
  return NULL;
}

static void interp_mark_back_targets(struct interp *vm)
{
  const struct bpf_program *p = vm->prog;
  memset(vm->back_target, 0, p->insn_count);
  for (size_t f = 0; f < p->func_count; f++)
    for (uint32_t pc = p->funcs[f].start; pc < p->funcs[f].end; pc++) {
      const struct bpf_insn *in = &p->insns[pc];
      unsigned cls = in->code & 7, op = in->code & 0xf0;
      if (in->code == 0x18) {
        pc++;
        continue;
      }
      if ((cls != 0x05 && cls != 0x06) || op == 0x80 || op == 0x90)
        continue;
      int64_t t = (int64_t)pc + 1 + (in->code == 0x06 ? in->imm : in->off);
      if (t >= p->funcs[f].start && t <= pc)
        vm->back_target[t] = 1;
    }
}

static int interp_poll(struct interp *vm, uint32_t pc)
{
  if (--vm->budget < 0)
    return interp_trap(vm, INTERP_TRAP_BUDGET, pc);
  return 0;
}

static uint64_t interp_exec(struct interp *vm, const struct bpf_func *fn, uint64_t *args, uint64_t r10);

static int interp_call(struct interp *vm, const struct bpf_func *fn, const struct bpf_insn *in,
                       uint64_t *r, uint32_t pc)
{
  if (in->src == 0) {
    if ((uint32_t)in->imm >= vm->helper_count)
      return interp_trap(vm, INTERP_TRAP_HELPER, pc);
    r[0] = vm->helper(vm, (uint32_t)in->imm, &r[1]);
    return vm->trap ? -1 : 0;
  }
  const struct bpf_func *callee = interp_func_at(vm->prog, (uint32_t)((int64_t)pc + 1 + in->imm));
  if (in->src != 1 || !callee)
    return interp_trap(vm, INTERP_TRAP_INVALID, pc);
  if (vm->depth >= INTERP_MAX_DEPTH)
    return interp_trap(vm, INTERP_TRAP_DEPTH, pc);
  uint64_t frame = fn->stack_size ? fn->stack_size : INTERP_FRAME_DEFAULT;
  frame = (frame + 7) / 8 * 8;
  vm->depth++;
  r[0] = interp_exec(vm, callee, &r[1], r[10] - frame);
  vm->depth--;
  return vm->trap ? -1 : 0;
}

/* one instruction; *next is the pc to go on at, or fn->end + 1 after exit */
static int interp_step(struct interp *vm, const struct bpf_func *fn, uint64_t *r, uint32_t pc, uint32_t *next)
{
  const struct bpf_insn *in = &vm->prog->insns[pc];
  unsigned cls = in->code & 7;
  *next = pc + 1;
  if (in->dst > 10 || in->src > 10)
    return interp_trap(vm, INTERP_TRAP_INVALID, pc);
  if (in->code == 0x18) {
    if (pc + 1 >= fn->end || in->src != 0)
      return interp_trap(vm, INTERP_TRAP_INVALID, pc);
    r[in->dst] = (uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)in[1].imm << 32;
    *next = pc + 2;
    return 0;
  }
  if (cls == 0x04 || cls == 0x07)
    return interp_alu(vm, in, r, pc);
  if (cls <= 0x03)
    return interp_mem(vm, in, r, pc);
  if (in->code == 0x95) {
    *next = fn->end + 1;
    return 0;
  }
  if (in->code == 0x85)
    return interp_call(vm, fn, in, r, pc);
  if (in->code == 0x05 || in->code == 0x06) {
    *next = (uint32_t)((int64_t)pc + 1 + (in->code == 0x06 ? in->imm : in->off));
    return 0;
  }
  uint64_t s = (in->code & 0x08) ? r[in->src] : (uint64_t)(int64_t)in->imm;
  int taken;
  if (interp_cond(in, r[in->dst], s, &taken) < 0)
    return interp_trap(vm, INTERP_TRAP_INVALID, pc);
  if (taken)
    *next = (uint32_t)((int64_t)pc + 1 + in->off);
  return 0;
}

static uint64_t interp_exec(struct interp *vm, const struct bpf_func *fn, uint64_t *args, uint64_t r10)
{
  uint64_t r[11] = {0};
  memcpy(&r[1], args, 5 * sizeof *args);
  r[10] = r10;
  if (interp_poll(vm, fn->start) < 0)
    return 0;
  uint32_t pc = fn->start;
  while (pc < fn->end) {
    if (vm->back_target[pc] && interp_poll(vm, pc) < 0)
      return 0;
    uint32_t next;
    if (interp_step(vm, fn, r, pc, &next) < 0)
      return 0;
    if (next == fn->end + 1)
      return r[0];
    if (next < fn->start || next > fn->end)
      return interp_trap(vm, INTERP_TRAP_INVALID, pc), 0;
    pc = next;
  }
  interp_trap(vm, INTERP_TRAP_FAULT, pc);   /* fell off the end of the function */
  return 0;
}

unsigned interp_run(struct interp *vm, uint32_t start, uint64_t r1, uint64_t r10, uint64_t *r0)
{
  const struct bpf_func *fn = interp_func_at(vm->prog, start);
  vm->trap = 0;
  vm->trap_pc = 0;
  vm->depth = 1;
  *r0 = 0;
  if (!fn)
    return interp_trap(vm, INTERP_TRAP_INVALID, start), vm->trap;
  interp_mark_back_targets(vm);
  uint64_t args[5] = {r1, 0, 0, 0, 0};
  uint64_t v = interp_exec(vm, fn, args, r10);
  if (!vm->trap)
    *r0 = v;
  return vm->trap;
}
