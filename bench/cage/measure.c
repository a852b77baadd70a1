/* Building the cage benchmark's variants and running them: in a runtime cage
 * (runtime/cage.c) as zsrt does, or in an identity window at host address 0
 * where uncaged code's guest addresses are valid host pointers. */
#define ZS_LIFT_MEASURE 1
#include "measure.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "abi/cage.h"
#include "bpf/bpf.h"
#include "bpf/lift.h"

const char *const measure_variant_names[MEASURE_VARIANTS] = {"caged", "no-poll", "no-cage", "neither"};
const char *const measure_cc_names[MEASURE_CCS] = {"clang", "tcc"};
const char *const measure_entry_names[MEASURE_ENTRIES] = {"sha256", "headers"};

void measure_fill_request(uint8_t *req, size_t len)
{
  for (size_t i = 0; i < len; i++)
    req[i] = (uint8_t)(i * 7 + 3);
}

static int measure_bpf(struct arena *a, const char *source, size_t len, struct bpf_program *prog, struct diag *d)
{
  uint8_t *elf;
  size_t size;
  struct bpf_object *obj;
  struct bpf_compile_options opt = {.source_name = "programs.bpf.c"};
  if (bpf_compile(a, source, len, &opt, &elf, &size, d) < 0 || bpf_read(a, "programs.bpf.o", elf, size, &obj, d) < 0 ||
      bpf_link(a, &obj, 1, prog, d) < 0)
    return -1;
  return bpf_verify(prog, d);
}

static int measure_lift(struct arena *a, const struct bpf_program *prog, enum measure_variant v, struct strbuf *out,
                        struct diag *d)
{
  strbuf_init(out, a);
  if (v == MEASURE_CAGED)
    return lift_program(a, prog, out, d);   /* exactly what zsc ships */
  struct lift_measure m = {.no_cage = v == MEASURE_NO_CAGE || v == MEASURE_NEITHER,
                           .no_poll = v == MEASURE_NO_POLL || v == MEASURE_NEITHER};
  return lift_program_measure(a, prog, &m, out, d);
}

static int measure_load(struct arena *a, const struct bpf_program *prog, struct measure_code *mc, struct diag *d)
{
  mc->exec_map = (mc->image.code_size + 0xffff) & ~(size_t)0xffff;
  void *p = mmap(NULL, mc->exec_map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return -1;
  memcpy(p, mc->image.code, mc->image.code_size);
  if (mprotect(p, mc->exec_map, PROT_READ | PROT_EXEC) < 0)
    return -1;
  mc->exec = p;
  for (int e = 0; e < MEASURE_ENTRIES; e++) {
    const char *want = arena_printf(a, "zs_entry_%s", measure_entry_names[e]);
    for (size_t f = 0; f < prog->func_count; f++) {
      const char *sym = prog->funcs[f].is_entry ? lift_entry_symbol(a, &prog->funcs[f]) : "";
      for (size_t i = 0; i < mc->image.symbol_count && !strcmp(sym, want); i++)
        if (!strcmp(mc->image.symbols[i].name, want))
          mc->entry[e] = (zs_entry_fn)(void *)(mc->exec + mc->image.symbols[i].offset);
    }
    if (!mc->entry[e]) {
      diag_error(d, (struct srcpos){0}, "cage bench: no entry %s in the image", want);
      return -1;
    }
  }
  return 0;
}

int measure_build(struct arena *a, const char *source, size_t len, struct measure_set *s, struct diag *d)
{
  memset(s, 0, sizeof *s);
  if (measure_bpf(a, source, len, &s->prog, d) < 0)
    return -1;
  for (int v = 0; v < MEASURE_VARIANTS; v++) {
    struct strbuf caged;
    if (measure_lift(a, &s->prog, v, &caged, d) < 0)
      return -1;
    for (int cc = 0; cc < MEASURE_CCS; cc++) {
      struct measure_code *mc = &s->code[cc][v];
      if (native_compile(a, strbuf_cstr(&caged), ZS_ARCH_X86_64, cc == MEASURE_TCC ? NATIVE_CC_TCC : NATIVE_CC_CLANG,
                         NULL, &mc->image, d) < 0 ||
          measure_load(a, &s->prog, mc, d) < 0)
        return -1;
    }
  }
  return 0;
}

void measure_release(struct measure_set *s)
{
  for (int cc = 0; cc < MEASURE_CCS; cc++)
    for (int v = 0; v < MEASURE_VARIANTS; v++)
      if (s->code[cc][v].exec)
        munmap(s->code[cc][v].exec, s->code[cc][v].exec_map);
}

/* the identity window's regions: guest offset == host address */
static const struct { uint32_t off, size; } measure_regions[] = {
  {ZS_CAGE_RODATA_OFF, 0x10000}, {ZS_CAGE_REQ_OFF, ZS_CAGE_REQ_SIZE},
  {ZS_CAGE_STACK_OFF, ZS_CAGE_STACK_SIZE}, {ZS_CAGE_HEAP_OFF, ZS_CAGE_HEAP_SIZE},
};
#define MEASURE_REGIONS (sizeof measure_regions / sizeof *measure_regions)

int measure_window_create(struct measure_window *w, const uint8_t *rodata, size_t rodata_size)
{
  w->mapped = 0;
  if (rodata_size > measure_regions[0].size)
    return -EFBIG;
  for (size_t i = 0; i < MEASURE_REGIONS; i++) {
    void *want = (void *)(uintptr_t)measure_regions[i].off;
    void *p = mmap(want, measure_regions[i].size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != want) {
      int rc = p == MAP_FAILED ? -errno : -EEXIST;
      if (p != MAP_FAILED)
        munmap(p, measure_regions[i].size);
      measure_window_destroy(w);
      return rc;
    }
    w->mapped = (int)i + 1;
  }
  memcpy((void *)(uintptr_t)ZS_CAGE_RODATA_OFF, rodata, rodata_size);
  measure_fill_request((uint8_t *)(uintptr_t)ZS_CAGE_REQ_OFF, MEASURE_REQ_BYTES);
  mprotect((void *)(uintptr_t)ZS_CAGE_RODATA_OFF, measure_regions[0].size, PROT_READ);
  mprotect((void *)(uintptr_t)ZS_CAGE_REQ_OFF, ZS_CAGE_REQ_SIZE, PROT_READ);
  return 0;
}

void measure_window_destroy(struct measure_window *w)
{
  for (int i = 0; i < w->mapped; i++)
    munmap((void *)(uintptr_t)measure_regions[i].off, measure_regions[i].size);
  w->mapped = 0;
}

static void measure_window_trap(struct zs_native_ctx *ctx, unsigned code)
{
  (void)ctx;
  fprintf(stderr, "cage bench: trap %u outside a cage\n", code);
  _exit(1);
}

uint64_t measure_window_call(zs_entry_fn fn)
{
  struct zs_native_ctx ctx = {.cage_base = NULL, .budget = ZS_DEFAULT_BUDGET, .trap = measure_window_trap};
  return fn(&ctx, ZS_CAGE_REQ_OFF, ZS_CAGE_STACK_TOP);
}

unsigned measure_cage_call(struct cage *c, zs_entry_fn fn, uint64_t *r0)
{
  return cage_call(c, fn, ZS_CAGE_REQ_OFF, ZS_MAX_FRAME_STACK * 2, r0);
}
