/* The verifier, flow pass: the call graph must be acyclic and at most
 * ZS_MAX_CALL_DEPTH frames deep, and each function's stack use (the lowest
 * r10-relative byte it touches) at most ZS_MAX_FRAME_STACK. Stack pointers are
 * followed through copies and constant adds by a small dataflow over each
 * function; where one gets lost (spilled, merged, scaled) the frame is taken to
 * use all ZS_MAX_FRAME_STACK bytes. A pointer passed to a callee or helper is
 * assumed to be used at or above itself. */
#include "verify.h"

#include <stdlib.h>

#include "abi/cage.h"
#include "insn.h"

enum flow_kind { FLOW_OTHER = 0, FLOW_STACK, FLOW_LOST };

struct flow_reg {
  int32_t kind;                /* enum flow_kind; FLOW_STACK: r10 + off */
  int32_t off;
};

struct flow_state {
  bool reached;
  struct flow_reg r[11];
};

struct flow_func {
  const struct bpf_func *f;
  struct flow_state *states;   /* one per instruction of f */
  uint32_t *work;              /* instructions to visit again */
  bool *queued;
  size_t work_count;
  int64_t lowest;              /* most negative r10 offset touched */
  size_t lowest_pc;
  bool lost;                   /* a stack pointer escaped the analysis */
};

static struct flow_reg flow_join_reg(struct flow_reg x, struct flow_reg y)
{
  if (x.kind == y.kind && x.off == y.off)
    return x;
  if (x.kind == FLOW_OTHER && y.kind == FLOW_OTHER)
    return x;
  return (struct flow_reg){ FLOW_LOST, 0 };
}

/* merges st into the state at pc; queues pc when that changed it */
static void flow_merge(struct flow_func *ff, uint32_t pc, const struct flow_state *st)
{
  if (pc < ff->f->start || pc >= ff->f->end)
    return;   /* verify.c already reported it */
  struct flow_state *at = &ff->states[pc - ff->f->start];
  bool changed = !at->reached;
  if (!at->reached) {
    *at = *st;
  } else {
    for (int i = 0; i < 11; i++) {
      struct flow_reg j = flow_join_reg(at->r[i], st->r[i]);
      changed |= j.kind != at->r[i].kind || j.off != at->r[i].off;
      at->r[i] = j;
    }
  }
  if (changed && !ff->queued[pc - ff->f->start]) {
    ff->queued[pc - ff->f->start] = true;
    ff->work[ff->work_count++] = pc;
  }
}

/* a memory access through base + off, size bytes */
static void flow_access(struct flow_func *ff, size_t pc, struct flow_reg base, int16_t off)
{
  if (base.kind == FLOW_LOST) {
    ff->lost = true;
  } else if (base.kind == FLOW_STACK) {
    int64_t low = (int64_t)base.off + off;
    if (low < ff->lowest) {
      ff->lowest = low;
      ff->lowest_pc = pc;
    }
  }
}

static void flow_alu(struct flow_state *st, const struct bpf_insn *in)
{
  struct flow_reg *dst = &st->r[in->dst];
  struct flow_reg src = bpf_insn_source(in) == BPF_SRC_X ? st->r[in->src] : (struct flow_reg){ 0 };
  unsigned op = bpf_insn_op(in);
  bool alu64 = bpf_insn_class(in) == BPF_CLASS_ALU64;
  if (op == BPF_ALU_MOV) {
    bool plain = alu64 && in->off == 0;
    *dst = bpf_insn_source(in) == BPF_SRC_K || (plain && src.kind != FLOW_LOST) ? src
         : src.kind == FLOW_OTHER ? (struct flow_reg){ 0 } : (struct flow_reg){ FLOW_LOST, 0 };
    return;
  }
  bool konst = bpf_insn_source(in) == BPF_SRC_K;
  if (alu64 && konst && dst->kind == FLOW_STACK && (op == BPF_ALU_ADD || op == BPF_ALU_SUB)) {
    int64_t off = (int64_t)dst->off + (op == BPF_ALU_ADD ? in->imm : -(int64_t)in->imm);
    *dst = off < -(int64_t)ZS_CAGE_STACK_SIZE || off > (int64_t)ZS_CAGE_STACK_SIZE ? (struct flow_reg){ FLOW_LOST, 0 }
                                                                 : (struct flow_reg){ FLOW_STACK, (int32_t)off };
    return;
  }
  if (dst->kind != FLOW_OTHER || src.kind != FLOW_OTHER)
    *dst = (struct flow_reg){ FLOW_LOST, 0 };
}

static void flow_store_value(struct flow_func *ff, struct flow_reg value)
{
  if (value.kind != FLOW_OTHER)
    ff->lost = true;   /* a stack pointer in memory: we stop following it */
}

/* the effect of one instruction on registers and the stack bound */
static void flow_step(struct flow_func *ff, size_t pc, struct flow_state *st, const struct bpf_insn *in)
{
  static const struct flow_reg other = { 0 };
  switch (bpf_insn_class(in)) {
  case BPF_CLASS_LD: st->r[in->dst] = other; break;
  case BPF_CLASS_LDX:
    flow_access(ff, pc, st->r[in->src], in->off);
    st->r[in->dst] = other;
    break;
  case BPF_CLASS_ST: flow_access(ff, pc, st->r[in->dst], in->off); break;
  case BPF_CLASS_STX:
    flow_access(ff, pc, st->r[in->dst], in->off);
    flow_store_value(ff, st->r[in->src]);
    if (bpf_insn_mode(in) == BPF_MODE_ATOMIC && in->imm == BPF_ATOMIC_CMPXCHG)
      st->r[0] = other;
    else if (bpf_insn_mode(in) == BPF_MODE_ATOMIC && (in->imm & BPF_ATOMIC_FETCH))
      st->r[in->src] = other;
    break;
  case BPF_CLASS_ALU: case BPF_CLASS_ALU64: flow_alu(st, in); break;
  default:
    if (in->code == BPF_OPCODE_CALL)
      for (int r = 0; r <= 5; r++)
        st->r[r] = other;
  }
  st->r[10] = (struct flow_reg){ FLOW_STACK, 0 };
}

static void flow_visit(struct flow_func *ff, const struct bpf_program *prog, uint32_t pc)
{
  const struct bpf_insn *in = &prog->insns[pc];
  ff->queued[pc - ff->f->start] = false;
  struct flow_state st = ff->states[pc - ff->f->start];
  flow_step(ff, pc, &st, in);
  if (in->code == BPF_OPCODE_EXIT)
    return;
  if (bpf_insn_is_jump(in)) {
    flow_merge(ff, (uint32_t)bpf_insn_jump_target(in, pc), &st);
    if (in->code == BPF_OPCODE_JA || in->code == BPF_OPCODE_GOTOL)
      return;
  }
  flow_merge(ff, pc + (bpf_insn_is_ld_imm64(in) ? 2 : 1), &st);
}

/* stack bytes f uses, rounded up to 8; ZS_MAX_FRAME_STACK when a pointer got lost */
static int flow_frame(struct verify_ctx *c, struct bpf_func *f)
{
  size_t n = f->end - f->start;
  struct flow_func ff = { .f = f, .states = arena_alloc(c->scratch, n * sizeof *ff.states),
                          .work = arena_alloc(c->scratch, n * sizeof *ff.work),
                          .queued = arena_alloc(c->scratch, n) };
  struct flow_state entry = { .reached = true };
  entry.r[10] = (struct flow_reg){ FLOW_STACK, 0 };
  flow_merge(&ff, f->start, &entry);
  while (ff.work_count)
    flow_visit(&ff, c->prog, ff.work[--ff.work_count]);
  if (-ff.lowest > ZS_MAX_FRAME_STACK) {
    verify_error(c, ff.lowest_pc, "uses %lld bytes of stack, more than the %d a frame may use",
                 (long long)-ff.lowest, ZS_MAX_FRAME_STACK);
    return -1;
  }
  f->stack_size = ff.lost ? ZS_MAX_FRAME_STACK : (uint32_t)((-ff.lowest + 7) / 8 * 8);
  return 0;
}

enum flow_color { FLOW_WHITE = 0, FLOW_GREY, FLOW_BLACK };

struct flow_graph {
  struct verify_ctx *c;
  uint8_t *color;
  uint32_t *depth;             /* frames in the deepest chain from each function */
  uint32_t *path;              /* the current DFS path, for the recursion message */
  size_t path_len;
};

static void flow_report_cycle(struct flow_graph *g, size_t callee, size_t call_pc)
{
  struct strbuf sb;
  strbuf_init(&sb, g->c->scratch);
  size_t from = 0;
  while (from < g->path_len && g->path[from] != callee)
    from++;
  for (size_t i = from; i < g->path_len; i++)
    strbuf_printf(&sb, "%s -> ", g->c->prog->funcs[g->path[i]].name);
  strbuf_puts(&sb, g->c->prog->funcs[callee].name);
  verify_error(g->c, call_pc, "recursion is not allowed: %s", strbuf_cstr(&sb));
}

/* depth-first over calls; fills depth and max_chain_stack bottom-up */
static int flow_walk(struct flow_graph *g, size_t fi)
{
  struct bpf_program *p = g->c->prog;
  struct bpf_func *f = &p->funcs[fi];
  g->color[fi] = FLOW_GREY;
  g->path[g->path_len++] = (uint32_t)fi;
  uint32_t depth = 0, chain = 0;
  for (uint32_t pc = f->start; pc < f->end; pc++) {
    const struct bpf_insn *in = &p->insns[pc];
    if (g->c->second_slot[pc] || !bpf_insn_is_local_call(in))
      continue;
    size_t callee = g->c->func_of[pc + 1 + in->imm];
    if (g->color[callee] == FLOW_GREY) {
      flow_report_cycle(g, callee, pc);
      return -1;
    }
    if (g->color[callee] == FLOW_WHITE && flow_walk(g, callee) < 0)
      return -1;
    depth = depth > g->depth[callee] ? depth : g->depth[callee];
    chain = chain > p->funcs[callee].max_chain_stack ? chain : p->funcs[callee].max_chain_stack;
  }
  g->depth[fi] = depth + 1;
  f->max_chain_stack = f->stack_size + chain;
  g->color[fi] = FLOW_BLACK;
  g->path_len--;
  return 0;
}

static int flow_check_depth(struct flow_graph *g, size_t fi)
{
  if (g->depth[fi] <= ZS_MAX_CALL_DEPTH)
    return 0;
  verify_error(g->c, g->c->prog->funcs[fi].start,
               "calls nest %u frames deep, more than the %d allowed", g->depth[fi], ZS_MAX_CALL_DEPTH);
  return -1;
}

int verify_flow(struct verify_ctx *c)
{
  struct bpf_program *p = c->prog;
  int rc = 0;
  for (size_t i = 0; i < p->func_count; i++)
    if (flow_frame(c, &p->funcs[i]) < 0)
      rc = -1;
  if (rc < 0)
    return -1;
  size_t n = p->func_count;
  struct flow_graph g = { .c = c, .color = arena_alloc(c->scratch, n),
                          .depth = arena_alloc(c->scratch, n * sizeof *g.depth),
                          .path = arena_alloc(c->scratch, n * sizeof *g.path) };
  for (size_t i = 0; i < n; i++)
    if (g.color[i] == FLOW_WHITE && flow_walk(&g, i) < 0)
      return -1;
  /* roots (functions nobody calls, the entries among them) carry the deepest chains */
  bool *called = arena_alloc(c->scratch, n);
  for (size_t pc = 0; pc < p->insn_count; pc++)
    if (!c->second_slot[pc] && bpf_insn_is_local_call(&p->insns[pc]))
      called[c->func_of[pc + 1 + p->insns[pc].imm]] = true;
  for (size_t i = 0; i < n; i++)
    if (!called[i] && flow_check_depth(&g, i) < 0)
      rc = -1;
  return rc;
}
