/* Linking test cases into one program, and running one in the interpreter
 * with the same memory layout and helpers the cage gives native code. */
#include "cases.h"

#include <stdlib.h>
#include <string.h>

#include "abi/cage.h"
#include "bpf/lift.h"
#include "native/native.h"
#include "tools/bpf-interp/interp.h"

struct test_case *case_add(struct arena *a, struct case_set *set, const char *name,
                           const struct bpf_insn *insns, size_t n)
{
  struct test_case *c = ARENA_PUSH(a, set->cases, set->count, set->cap);
  struct bpf_insn *copy = arena_alloc(a, n * sizeof *copy);
  memcpy(copy, insns, n * sizeof *copy);
  c->name = arena_strdup(a, name);
  c->insns = copy;
  c->insn_count = n;
  c->func_count = 1;
  c->expect_trap = CASE_NO_EXPECT;
  return c;
}

static size_t case_func_total(const struct case_set *set)
{
  size_t n = 0;
  for (size_t i = 0; i < set->count; i++)
    n += set->cases[i].func_count;
  return n;
}

void case_link(struct arena *a, const struct case_set *set, struct bpf_program *prog,
               uint32_t *entry_start)
{
  memset(prog, 0, sizeof *prog);
  size_t total = 0;
  for (size_t i = 0; i < set->count; i++)
    total += set->cases[i].insn_count;
  prog->insns = arena_alloc(a, total * sizeof *prog->insns);
  prog->funcs = arena_alloc(a, case_func_total(set) * sizeof *prog->funcs);
  uint32_t at = 0;
  for (size_t i = 0; i < set->count; i++) {
    const struct test_case *c = &set->cases[i];
    memcpy(prog->insns + at, c->insns, c->insn_count * sizeof *c->insns);
    entry_start[i] = at;
    for (size_t f = 0; f < c->func_count; f++) {
      struct bpf_func *fn = &prog->funcs[prog->func_count++];
      fn->start = at + c->func_start[f];
      fn->end = at + (f + 1 < c->func_count ? c->func_start[f + 1] : (uint32_t)c->insn_count);
      fn->stack_size = c->func_stack[f];
      fn->is_entry = f == 0;
      fn->name = f == 0 ? arena_printf(a, "c%zu", i) : arena_printf(a, "c%zu_f%zu", i, f);
    }
    at += (uint32_t)c->insn_count;
  }
  prog->insn_count = total;
  static const char rodata[] = "zsc lifter test rodata: 0123456789abcdef";
  prog->rodata = arena_alloc(a, sizeof rodata);
  memcpy(prog->rodata, rodata, sizeof rodata);
  prog->rodata_size = sizeof rodata;
}

/* the interpreter's view of the cage: the same regions with their own bytes */
struct case_memory {
  uint8_t *stack, *heap, *req;
  struct run_result *out;
};

static uint64_t case_helper(struct interp *vm, uint32_t id, const uint64_t args[5])
{
  struct case_memory *m = vm->user;
  if (id == 0)
    return run_helper_mix(args);
  if (id == 1) {
    uint64_t h = run_hash(m->stack + ZS_CAGE_STACK_SIZE - RUN_SNAP_STACK, RUN_SNAP_STACK, RUN_HASH_SEED);
    m->out->snap_hash = run_hash(m->heap, RUN_SNAP_HEAP, h);
    m->out->snapped = 1;
    return RUN_SNAP_RET;
  }
  uint64_t v = 0;
  if (interp_read(vm, args[0], &v, 8) < 0)
    return (uint64_t)-14;
  return v;
}

static void case_map(struct interp *vm, uint32_t start, uint32_t size, uint8_t *mem, int writable)
{
  vm->regions[vm->region_count++] = (struct interp_region){start, size, mem, writable};
}

void case_interpret(const struct bpf_program *prog, uint32_t start, struct run_result *out)
{
  struct case_memory m = {calloc(1, ZS_CAGE_STACK_SIZE), calloc(1, ZS_CAGE_HEAP_SIZE),
                          calloc(1, ZS_CAGE_REQ_SIZE), out};
  struct interp vm = {.prog = prog, .helper = case_helper, .helper_count = RUN_HELPER_COUNT,
                      .user = &m, .budget = RUN_BUDGET};
  vm.back_target = calloc(1, prog->insn_count + 1);
  run_fill_request(m.req, RUN_REQ_BYTES);
  /* rodata is mapped page-granular in the cage: the tail of its page reads as zero */
  uint32_t ro_size = (uint32_t)((prog->rodata_size + 4095) & ~(size_t)4095);
  uint8_t *ro = calloc(1, ro_size ? ro_size : 1);
  if (prog->rodata_size)
    memcpy(ro, prog->rodata, prog->rodata_size);
  if (ro_size)
    case_map(&vm, ZS_CAGE_RODATA_OFF, ro_size, ro, 0);
  case_map(&vm, ZS_CAGE_REQ_OFF, ZS_CAGE_REQ_SIZE, m.req, 0);
  case_map(&vm, ZS_CAGE_STACK_OFF, ZS_CAGE_STACK_SIZE, m.stack, 1);
  case_map(&vm, ZS_CAGE_HEAP_OFF, ZS_CAGE_HEAP_SIZE, m.heap, 1);
  memset(out, 0, sizeof *out);
  out->trap = interp_run(&vm, start, ZS_CAGE_REQ_OFF, ZS_CAGE_STACK_TOP, &out->r0);
  free(vm.back_target);
  free(ro);
  free(m.stack);
  free(m.heap);
  free(m.req);
}


int case_run_entries(struct arena *a, const struct bpf_program *prog, const struct native_image *img,
                     struct run_env *env, case_check_fn check, void *ctx, int *entries)
{
  int failures = 0;
  *entries = 0;
  for (size_t f = 0; f < prog->func_count; f++) {
    const struct bpf_func *fn = &prog->funcs[f];
    const char *sym = fn->is_entry ? lift_entry_symbol(a, fn) : NULL;
    for (size_t s = 0; sym && s < img->symbol_count; s++) {
      if (strcmp(img->symbols[s].name, sym) != 0)
        continue;
      struct run_result ref, got;
      case_interpret(prog, fn->start, &ref);
      run_env_case(env, img->symbols[s].offset, &got);
      failures += check(ctx, fn, &ref, &got);
      (*entries)++;
    }
  }
  return failures;
}
